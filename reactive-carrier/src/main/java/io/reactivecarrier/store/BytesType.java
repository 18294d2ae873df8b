package io.reactivecarrier.store;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.h2.mvstore.DataUtils;
import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.BasicDataType;

/**
 * The MVStore type of the binary keys and values of schema 2: a varint length and the bytes,
 * ordered by unsigned bytes ({@link Arrays#compareUnsigned(byte[], byte[])}). A key is written as
 * one block copy instead of a hex String written character by character, and compared without
 * the type dispatch of MVStore's default {@code ObjectDataType}.
 */
final class BytesType extends BasicDataType<byte[]> {

    static final BytesType INSTANCE = new BytesType();

    private BytesType() {
    }

    @Override
    public int getMemory(byte[] b) {
        return 24 + b.length;
    }

    @Override
    public void write(WriteBuffer buff, byte[] b) {
        buff.putVarInt(b.length).put(b);
    }

    @Override
    public byte[] read(ByteBuffer buff) {
        int len = DataUtils.readVarInt(buff);
        if (len < 0 || len > buff.remaining()) {
            throw DataUtils.newMVStoreException(DataUtils.ERROR_FILE_CORRUPT, "byte string of {0} bytes with {1} left",
                    len, buff.remaining());
        }
        byte[] b = new byte[len];
        buff.get(b);
        return b;
    }

    @Override
    public int compare(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, b);
    }

    @Override
    public byte[][] createStorage(int size) {
        return new byte[size][];
    }
}
