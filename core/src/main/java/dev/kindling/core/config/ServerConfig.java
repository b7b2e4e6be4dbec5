package dev.kindling.core.config;

/**
 * The HTTP server.
 *
 * @param host             address to listen on
 * @param port             port (0: any free one)
 * @param apiKey           key required in {@code X-API-Key} for writes and admin endpoints (empty: generated at start)
 * @param readsRequireKey  whether reads need the key too
 * @param maxBodyBytes     largest request body
 * @param maxBulkBytes     largest bulk upload
 * @param allowRemoteImages whether items added through the API may name a picture on a (public) http(s) host
 * @param requestTimeoutMs longest a request may take
 * @param modelPollSeconds how often the models directory is checked for a version trained elsewhere (0: never)
 * @param rankingBatch     most new users whose adaptations are ranked together when their requests arrive together
 * @param rankingThreads   threads ranking those batches (0: half the cores, at least one)
 */
public record ServerConfig(String host, int port, String apiKey, boolean readsRequireKey, long maxBodyBytes,
                           long maxBulkBytes, boolean allowRemoteImages, int requestTimeoutMs, int modelPollSeconds,
                           int rankingBatch, int rankingThreads) {
    /** The ranking threads to run: {@code rankingThreads}, or half the cores (at least one) when it is 0. */
    public int rankingThreadCount() {
        return rankingThreads > 0 ? rankingThreads : Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
    }

    @Override
    public String toString() {
        return "ServerConfig[host=" + host + ", port=" + port + ", apiKey=" + (apiKey.isEmpty() ? "(generated)" : "***")
                + ", readsRequireKey=" + readsRequireKey + ", maxBodyBytes=" + maxBodyBytes + ", maxBulkBytes=" + maxBulkBytes
                + ", allowRemoteImages=" + allowRemoteImages + ", requestTimeoutMs="
                + requestTimeoutMs + ", modelPollSeconds=" + modelPollSeconds + ", rankingBatch=" + rankingBatch
                + ", rankingThreads=" + rankingThreads + "]";
    }
}
