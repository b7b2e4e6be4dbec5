package dev.kindling.core.store;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** float32 vectors as little-endian bytes, the form stores keep them in. */
public final class VectorBytes {
    private VectorBytes() {
    }

    public static byte[] toBytes(float[] vector) {
        ByteBuffer b = ByteBuffer.allocate(vector.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(vector);
        return b.array();
    }

    public static float[] toFloats(byte[] bytes) {
        if (bytes.length % Float.BYTES != 0) {
            throw new IllegalArgumentException("a float32 vector needs a multiple of 4 bytes, got " + bytes.length);
        }
        float[] v = new float[bytes.length / Float.BYTES];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }
}
