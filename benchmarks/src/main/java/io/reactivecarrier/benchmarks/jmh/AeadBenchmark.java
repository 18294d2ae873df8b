package io.reactivecarrier.benchmarks.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.reactivecarrier.crypto.PacketAead;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of sealing one transport packet with the counter-nonce AEAD, per algorithm and size.
 *
 * <pre>java -jar benchmarks/target/carrier-benchmarks.jar jmh AeadBenchmark</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class AeadBenchmark {

    @Param({"AES_256_GCM", "CHACHA20_POLY1305"})
    public PacketAead.Algorithm algorithm;

    @Param({"1200"})
    public int size;

    private PacketAead aead;
    private ByteBuf plaintext;
    private ByteBuf out;
    private long counter;

    @Setup(Level.Trial)
    public void setUp() {
        byte[] key = new byte[32];
        ThreadLocalRandom.current().nextBytes(key);
        aead = PacketAead.create(algorithm, key);
        plaintext = PooledByteBufAllocator.DEFAULT.directBuffer(size);
        plaintext.writeZero(size);
        out = PooledByteBufAllocator.DEFAULT.directBuffer(size + PacketAead.TAG_LENGTH);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        plaintext.release();
        out.release();
    }

    @Benchmark
    public int seal() {
        plaintext.readerIndex(0);
        out.clear();
        aead.seal(counter++, null, plaintext, out);
        return out.readableBytes();
    }
}
