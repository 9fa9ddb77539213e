package io.meshdns.server;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;

/**
 * A client that pipelines one query over a TCP or TLS connection, {@code count} times as fast as the
 * connection takes them, and reads none of the answers: its writes block once the server stops reading it,
 * and fail once the server closes it. The connection stays open until {@link #close}.
 */
final class NonReadingClient implements AutoCloseable {
    /** Queries per write. */
    private static final int BATCH = 100;

    final Socket socket;
    private final Thread writer;

    private NonReadingClient(Socket socket, byte[] framed, int count) {
        this.socket = socket;
        this.writer = new Thread(() -> write(framed, count), "non-reading client");
        writer.setDaemon(true);
        writer.start();
    }

    /**
     * A plain TCP connection to {@code server} whose receive buffer is small (4 KiB), as a client that never
     * reads would leave it: the server's answers fill it at once.
     */
    static Socket connect(InetSocketAddress server) throws IOException {
        Socket socket = new Socket();
        socket.setReceiveBufferSize(4096);
        socket.connect(server);
        socket.setSoTimeout(5000);
        return socket;
    }

    /** Starts writing {@code count} queries for {@code name}/{@code type} to {@code socket}. */
    static NonReadingClient start(Socket socket, String name, int type, int count) throws IOException {
        byte[] wire = Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN))
                .toWire();
        var framed = new ByteArrayOutputStream();
        var out = new DataOutputStream(framed);
        for (int i = 0; i < BATCH; i++) {
            out.writeShort(wire.length);
            out.write(wire);
        }
        return new NonReadingClient(socket, framed.toByteArray(), count);
    }

    private void write(byte[] batch, int count) {
        try {
            OutputStream out = socket.getOutputStream();
            for (int written = 0; written < count; written += BATCH) {
                out.write(batch);
                out.flush();
            }
        } catch (IOException cutOff) {
            // the server closed the connection (or the test did)
        }
    }

    /**
     * Reads what the server sent until the connection ends: whether the server closed it (end of stream or
     * reset). Only once the server is done with it: this is the first read.
     */
    boolean closedByServer() {
        try {
            InputStream in = socket.getInputStream();
            byte[] sink = new byte[64 * 1024];
            while (in.read(sink) >= 0) {
                // the answers sent before the close
            }
            return true;
        } catch (java.net.SocketTimeoutException stillOpen) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
            writer.join(10_000);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
