package dev.kindling.server.cli;

import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code kindling} command line: {@code ./kindling --help}. */
@Command(name = "kindling", mixinStandardHelpOptions = true, version = "Kindling 0.1.0",
        description = "Cold-start recommendations: import data, build the index, train, serve.",
        subcommands = {ImportCommand.class, StatsCommand.class, EncodeCommand.class, SimilarCommand.class, EvaluateCommand.class, TrainCommand.class,
                IndexCommand.class, ServeCommand.class, DemoCommand.class})
public final class KindlingCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    /** Builds the command line with Kindling's error handling: a one-line message and exit 1, no stack trace. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new KindlingCli());
        cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println("kindling: " + CliErrors.describe(e));
            LoggerFactory.getLogger(KindlingCli.class).debug("command failed", e);
            return 1;
        });
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }
}
