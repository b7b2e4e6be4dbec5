package dev.kindling.core.config;

import java.util.List;

/** Every configuration key with its default. docs/configuration.md documents the same list (a test checks). */
public final class ConfigKeys {
    private ConfigKeys() {
    }

    public static final ConfigKey HOME = new ConfigKey("home", "~/.kindling", "path",
            "Directory holding all state (database, index, models). Relative paths below are resolved against it.");

    public static final ConfigKey STORE_BACKEND = new ConfigKey("store.backend", "sqlite", "sqlite|postgresql",
            "Catalog and interaction store: sqlite (one embedded file) or postgresql (a server, shared by several Kindling replicas).");
    public static final ConfigKey STORE_PATH = new ConfigKey("store.path", "kindling.db", "path",
            "SQLite database file.");
    public static final ConfigKey STORE_SYNCHRONOUS = new ConfigKey("store.synchronous", "FULL", "FULL|NORMAL",
            "SQLite synchronous mode: FULL keeps every committed batch even on power loss; NORMAL is faster and safe on a process crash.");
    public static final ConfigKey STORE_POSTGRES_URL = new ConfigKey("store.postgres.url",
            "jdbc:postgresql://127.0.0.1:5432/kindling", "JDBC URL",
            "PostgreSQL database of the postgresql store (the schema is created on first use).");
    public static final ConfigKey STORE_POSTGRES_USER = new ConfigKey("store.postgres.user", "kindling", "text",
            "PostgreSQL role the postgresql store logs in as.");
    public static final ConfigKey STORE_POSTGRES_PASSWORD = new ConfigKey("store.postgres.password", "", "secret",
            "Password of that role; empty for trust or peer authentication. Prefer the environment variable to a file.");
    public static final ConfigKey STORE_POSTGRES_POOL_SIZE = new ConfigKey("store.postgres.poolSize", "8", "int 1..256",
            "Most PostgreSQL connections one Kindling process holds.");

    public static final ConfigKey INDEX_BACKEND = new ConfigKey("index.backend", "lucene", "lucene|milvus",
            "Vector index backend: lucene (embedded HNSW under index.path) or milvus (a Milvus server at index.milvus.uri).");
    public static final ConfigKey INDEX_PATH = new ConfigKey("index.path", "index", "path",
            "Directory of the embedded Lucene index.");
    public static final ConfigKey INDEX_HNSW_M = new ConfigKey("index.hnsw.m", "16", "int 2..512",
            "HNSW graph degree (connections per node).");
    public static final ConfigKey INDEX_HNSW_BEAM_WIDTH = new ConfigKey("index.hnsw.beamWidth", "100", "int 1..3200",
            "HNSW construction beam width.");
    public static final ConfigKey INDEX_HNSW_EF = new ConfigKey("index.hnsw.ef", "100", "int 1..10000",
            "Default HNSW candidate-list size at search time (higher: better recall, slower).");
    public static final ConfigKey INDEX_RAM_BUFFER_MB = new ConfigKey("index.ramBufferMb", "256", "int 16..8192",
            "Indexing RAM buffer of the embedded index in MiB; larger buffers make fewer, faster-to-search segments.");
    public static final ConfigKey INDEX_MILVUS_URI = new ConfigKey("index.milvus.uri", "http://127.0.0.1:19530",
            "URI", "Milvus server (gRPC endpoint) of the milvus backend: http://host:port or https://host:port.");
    public static final ConfigKey INDEX_MILVUS_TOKEN = new ConfigKey("index.milvus.token", "", "secret",
            "Milvus credentials, user:password or an API key; empty when the server has authentication off.");
    public static final ConfigKey INDEX_MILVUS_DATABASE = new ConfigKey("index.milvus.database", "default", "name",
            "Milvus database holding Kindling's collections; created when missing.");
    public static final ConfigKey INDEX_MILVUS_CONSISTENCY = new ConfigKey("index.milvus.consistency", "Strong",
            "Strong|Bounded|Session|Eventually",
            "Consistency level of every Milvus search, get and count. Strong gives read-your-writes across replicas (the index contract); Session only within one process; Bounded and Eventually may miss writes of the last seconds.");
    public static final ConfigKey INDEX_MILVUS_TIMEOUT_MS = new ConfigKey("index.milvus.timeoutMs", "2000",
            "int 100..600000", "Deadline of one Milvus search, get or count in milliseconds; past it the request fails as unavailable.");
    public static final ConfigKey INDEX_MILVUS_WRITE_TIMEOUT_MS = new ConfigKey("index.milvus.writeTimeoutMs", "30000",
            "int 100..600000", "Deadline of one Milvus upsert, delete or collection change in milliseconds; failed writes are retried with back-off.");

    public static final ConfigKey INGEST_BATCH_SIZE = new ConfigKey("ingest.batchSize", "10000", "int 1..1000000",
            "Rows per import transaction: a crash loses at most the batch in flight, never half of one.");
    public static final ConfigKey INGEST_ON_ERROR = new ConfigKey("ingest.onError", "skip", "skip|fail",
            "What a bad row does: skip reports it (file and line) and goes on; fail stops the import.");
    public static final ConfigKey INGEST_STRICT = new ConfigKey("ingest.strict", "true", "boolean",
            "Interactions naming an item that is not in the catalog are errors.");
    public static final ConfigKey INGEST_MIN_RATING = new ConfigKey("ingest.minRating", "0", "number",
            "Lowest rating accepted.");
    public static final ConfigKey INGEST_MAX_RATING = new ConfigKey("ingest.maxRating", "5", "number",
            "Highest rating accepted.");

    public static final ConfigKey ENCODERS_DEVICE = new ConfigKey("encoders.device", "auto", "auto|cpu|gpu",
            "Where the encoders run: auto picks the GPU when CUDA is present, else the CPU.");
    public static final ConfigKey ENCODERS_TEXT_MODEL = new ConfigKey("encoders.text.model", "bundled", "bundled|path",
            "Text encoder: bundled (all-MiniLM-L6-v2, fp32, 384-d) or a BERT-family ONNX (.onnx) or TorchScript (.pt) file.");
    public static final ConfigKey ENCODERS_TEXT_TOKENIZER = new ConfigKey("encoders.text.tokenizer", "", "path",
            "HuggingFace tokenizer.json of the text model; empty: the bundled one, or tokenizer.json beside the model file.");
    public static final ConfigKey ENCODERS_TEXT_MAX_LENGTH = new ConfigKey("encoders.text.maxLength", "256", "int 8..4096",
            "Longest token sequence the text encoder sees; longer texts are truncated.");
    public static final ConfigKey ENCODERS_TEXT_BATCH_SIZE = new ConfigKey("encoders.text.batchSize", "32", "int 1..4096",
            "Texts per forward pass.");
    public static final ConfigKey ENCODERS_TEXT_FIELDS = new ConfigKey("encoders.text.fields", "title,categories,tags,description",
            "comma list", "Item fields that make its text, in order: title (without a trailing (YYYY) year), fullTitle (as stored), categories, tags, description, attribute:NAME.");
    public static final ConfigKey ENCODERS_IMAGE_MODEL = new ConfigKey("encoders.image.model", "auto", "auto|none|path",
            "Image encoder TorchScript file (a torchvision ResNet works); auto: the MobileNetV2 feature model in ../shared/models if present; none: no images.");
    public static final ConfigKey ENCODERS_IMAGE_BATCH_SIZE = new ConfigKey("encoders.image.batchSize", "16", "int 1..1024",
            "Images per forward pass.");
    public static final ConfigKey ENCODERS_MODEL_CACHE = new ConfigKey("encoders.modelCache", "models", "path",
            "Where bundled models are unpacked.");
    public static final ConfigKey ENCODERS_WORKERS = new ConfigKey("encoders.workers", "0", "int 0..256",
            "Batches each encoder runs at once, each on its own thread with a single-threaded model (steadier than one batch on all cores when the index writer shares them); 0: one per core on the CPU, 1 on a GPU.");

    public static final ConfigKey META_DEVICE = new ConfigKey("meta.device", "auto", "auto|cpu|gpu",
            "Where the meta-learners train, are evaluated and serve: auto picks the GPU when CUDA is present, else the CPU.");
    public static final ConfigKey META_PAML_USERS = new ConfigKey("meta.paml.users", "100000", "int 1..100000000",
            "Users PAML remembers (embedding h and learning rate) in the index's users collection while training with --paml; beyond it the least recently used lose their rate.");

    public static final ConfigKey SERVER_HOST = new ConfigKey("server.host", "127.0.0.1", "host",
            "Address the HTTP server listens on; 0.0.0.0 for every interface (containers).");
    public static final ConfigKey SERVER_PORT = new ConfigKey("server.port", "7070", "int 0..65535",
            "HTTP port; 0 picks a free one.");
    public static final ConfigKey SERVER_API_KEY = new ConfigKey("server.apiKey", "", "secret",
            "API key every write and admin request must send in the X-API-Key header; empty: a random key is made at start and written to <home>/api-key (only its first 4 characters are logged).");
    public static final ConfigKey SERVER_READS_REQUIRE_KEY = new ConfigKey("server.readsRequireKey", "false", "boolean",
            "Whether reads (recommendations, similar items) need the API key too.");
    public static final ConfigKey SERVER_MAX_BODY_BYTES = new ConfigKey("server.maxBodyBytes", "1048576",
            "int 1024..1073741824", "Largest request body accepted; larger bodies get 413 before they are read.");
    public static final ConfigKey SERVER_MAX_BULK_BYTES = new ConfigKey("server.maxBulkBytes", "104857600",
            "int 1024..2147483647", "Largest body of a bulk upload (POST /v1/items:bulk), counted as it arrives; larger uploads get 413.");
    public static final ConfigKey SERVER_IMAGES_ALLOW_REMOTE = new ConfigKey("server.images.allowRemote", "false",
            "boolean", "Whether items added through the API may name an http(s) picture for the server to fetch; even then only from public hosts (not loopback, link-local or private addresses, checked after DNS and on every redirect), at most 20 MB in 15 s. Local picture paths are read only under the images directory.");
    public static final ConfigKey SERVER_REQUEST_TIMEOUT_MS = new ConfigKey("server.requestTimeoutMs", "10000",
            "int 100..600000", "Longest a request may take; past it the client gets 503 and the work is abandoned.");
    public static final ConfigKey SERVER_MODEL_POLL_SECONDS = new ConfigKey("server.modelPollSeconds", "10",
            "int 0..86400", "How often the server checks <home>/models/current and loads a version trained elsewhere (another replica sharing the models directory, or ./kindling train); 0: never.");
    public static final ConfigKey SERVER_RANKING_BATCH = new ConfigKey("server.rankingBatch", "8", "int 1..64",
            "Most new users whose adaptations are ranked together as one batch when their requests arrive at the same time (MML's learners, metaCSR): under load a batch of 8 costs about a third of the CPU per user of one ranked alone; a request alone is never held back to wait for others. Rankings in a batch match the ranking alone, scores to about 1e-6; 1 ranks every request alone (identical to the bit under any load).");
    public static final ConfigKey SERVER_RANKING_THREADS = new ConfigKey("server.rankingThreads", "0", "int 0..256",
            "Threads that rank new users' adaptations (MML's learners, metaCSR), each one batch at a time, for the server's life (model versions share them); 0: half the cores, at least one (the rest serve HTTP, JSON, the garbage collector and the JIT).");

    /** All keys, in documentation order. */
    public static final List<ConfigKey> ALL = List.of(HOME, STORE_BACKEND, STORE_PATH, STORE_SYNCHRONOUS,
            STORE_POSTGRES_URL, STORE_POSTGRES_USER, STORE_POSTGRES_PASSWORD, STORE_POSTGRES_POOL_SIZE,
            INDEX_BACKEND, INDEX_PATH, INDEX_HNSW_M, INDEX_HNSW_BEAM_WIDTH, INDEX_HNSW_EF, INDEX_RAM_BUFFER_MB,
            INDEX_MILVUS_URI, INDEX_MILVUS_TOKEN, INDEX_MILVUS_DATABASE, INDEX_MILVUS_CONSISTENCY,
            INDEX_MILVUS_TIMEOUT_MS, INDEX_MILVUS_WRITE_TIMEOUT_MS,
            INGEST_BATCH_SIZE, INGEST_ON_ERROR, INGEST_STRICT, INGEST_MIN_RATING, INGEST_MAX_RATING,
            ENCODERS_DEVICE, ENCODERS_TEXT_MODEL, ENCODERS_TEXT_TOKENIZER, ENCODERS_TEXT_MAX_LENGTH,
            ENCODERS_TEXT_BATCH_SIZE, ENCODERS_TEXT_FIELDS, ENCODERS_IMAGE_MODEL, ENCODERS_IMAGE_BATCH_SIZE,
            ENCODERS_MODEL_CACHE, ENCODERS_WORKERS, META_DEVICE, META_PAML_USERS, SERVER_HOST, SERVER_PORT, SERVER_API_KEY, SERVER_READS_REQUIRE_KEY,
            SERVER_MAX_BODY_BYTES, SERVER_MAX_BULK_BYTES, SERVER_IMAGES_ALLOW_REMOTE, SERVER_REQUEST_TIMEOUT_MS,
            SERVER_MODEL_POLL_SECONDS, SERVER_RANKING_BATCH, SERVER_RANKING_THREADS);
}
