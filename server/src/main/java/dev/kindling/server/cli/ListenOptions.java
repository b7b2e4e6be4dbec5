package dev.kindling.server.cli;

import picocli.CommandLine.Option;

/** Where a command that serves the API listens: overrides of server.host and server.port. */
final class ListenOptions {
    @Option(names = "--host", paramLabel = "ADDRESS", description = "Listen address (default: server.host, 127.0.0.1).")
    String host;

    @Option(names = "--port", paramLabel = "N", description = "Port (default: server.port, 7070).")
    Integer port;

    /** Puts the options given into the home's configuration overrides (they win over the file and environment). */
    void applyTo(HomeOptions home) {
        if (host != null) {
            home.overrides.put("server.host", host);
        }
        if (port != null) {
            home.overrides.put("server.port", port.toString());
        }
    }
}
