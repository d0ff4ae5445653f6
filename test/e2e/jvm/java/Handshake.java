import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.KeyStore;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS handshakes between a server and a client in one JVM, over 127.0.0.1, with stores exactly as
 * Kafka loads them (PKCS12, default key and trust manager algorithms, needClientAuth on the server,
 * endpoint identification "HTTPS" on the client). The client dials 127.0.0.1 but verifies the
 * name given in the case, so any DNS name in the certificate can be tried without DNS.
 *
 * <p>Usage: java Handshake CASES. Each line of CASES, tab-separated: id, protocol (TLSv1.2 or
 * TLSv1.3), server material directory, client key directory or "-" (no client certificate), client
 * trust directory, host name to verify. Passwords are read from each directory's credentials
 * files, never taken from the command line. Prints one line per case: "id TAB OK" or
 * "id TAB FAIL TAB client=...; server=...". Every socket has a timeout; the server closes itself
 * after one connection. Written for Java 8 and later.
 */
public final class Handshake {
  private static final int TIMEOUT_MS = 10_000;

  private Handshake() {}

  public static void main(String[] args) throws Exception {
    List<String> lines = Files.readAllLines(Paths.get(args[0]), StandardCharsets.UTF_8);
    ExecutorService executor = Executors.newCachedThreadPool();
    try {
      for (String line : lines) {
        if (line.trim().isEmpty()) continue;
        String[] f = line.split("\t");
        String result = runCase(executor, f[1], dir(f[2]), dir(f[3]), dir(f[4]), f[5]);
        System.out.println(f[0] + "\t" + result);
      }
    } finally {
      executor.shutdownNow();
    }
    System.exit(0);
  }

  private static Path dir(String text) {
    return "-".equals(text) ? null : Paths.get(text);
  }

  private static String runCase(
      ExecutorService executor, String protocol, Path serverDir, Path clientKeyDir,
      Path clientTrustDir, String host) throws Exception {
    SSLContext serverContext = context(serverDir, serverDir);
    SSLContext clientContext = context(clientKeyDir, clientTrustDir);
    final SSLServerSocket server = (SSLServerSocket) serverContext.getServerSocketFactory()
        .createServerSocket(0, 1, InetAddress.getLoopbackAddress());
    server.setNeedClientAuth(true);
    server.setEnabledProtocols(new String[] {protocol});
    server.setSoTimeout(TIMEOUT_MS);
    int port = server.getLocalPort();
    Future<String> serverSide = executor.submit(() -> serve(server));

    String client;
    try (Socket raw = new Socket()) {
      raw.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), TIMEOUT_MS);
      raw.setSoTimeout(TIMEOUT_MS);
      SSLSocket socket =
          (SSLSocket) clientContext.getSocketFactory().createSocket(raw, host, port, true);
      SSLParameters parameters = socket.getSSLParameters();
      parameters.setEndpointIdentificationAlgorithm("HTTPS");
      parameters.setProtocols(new String[] {protocol});
      // As the JDK itself does: SNI only for names with a dot, never for an IP address.
      if (host.contains(".") && !host.matches("[0-9.]+")) {
        parameters.setServerNames(Collections.singletonList(new SNIHostName(host)));
      }
      socket.setSSLParameters(parameters);
      socket.startHandshake();
      // In TLS 1.3 the client finishes before the server has judged the client's certificate:
      // only the server's first byte proves that it accepted this client.
      int reply = socket.getInputStream().read();
      OutputStream out = socket.getOutputStream();
      out.write('C');
      out.flush();
      client = reply == 'K' ? "ok" : "no reply";
      socket.close();
    } catch (Exception e) {
      client = describe(e);
    }
    String serverResult;
    try {
      serverResult = serverSide.get(2L * TIMEOUT_MS, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      serverResult = describe(e);
    } finally {
      server.close();
    }
    return "ok".equals(client) && "ok".equals(serverResult)
        ? "OK"
        : "FAIL\tclient=" + client + "; server=" + serverResult;
  }

  private static String serve(SSLServerSocket server) {
    try (SSLSocket socket = (SSLSocket) server.accept()) {
      socket.setSoTimeout(TIMEOUT_MS);
      socket.startHandshake();
      OutputStream out = socket.getOutputStream();
      out.write('K');
      out.flush();
      int reply = socket.getInputStream().read();
      return reply == 'C' ? "ok" : "no reply";
    } catch (Exception e) {
      return describe(e);
    } finally {
      try {
        server.close();
      } catch (IOException ignored) {
        // closing is best effort; the case result is already decided
      }
    }
  }

  private static SSLContext context(Path keyDir, Path trustDir) throws Exception {
    KeyManager[] keyManagers = null;
    if (keyDir != null) {
      KeyStore keystore = load(keyDir.resolve("kafka.keystore.p12"), keyDir.resolve("keystore-credentials"));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keystore, password(keyDir.resolve("key-credentials")));
      keyManagers = kmf.getKeyManagers();
    }
    KeyStore truststore =
        load(trustDir.resolve("kafka.truststore.p12"), trustDir.resolve("truststore-credentials"));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(truststore);
    TrustManager[] trustManagers = tmf.getTrustManagers();
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(keyManagers, trustManagers, null);
    return context;
  }

  private static KeyStore load(Path store, Path credentials) throws Exception {
    KeyStore keystore = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      keystore.load(in, password(credentials));
    }
    return keystore;
  }

  private static char[] password(Path file) throws IOException {
    String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
    return text.replaceAll("[\\r\\n]+$", "").toCharArray();
  }

  private static String describe(Throwable e) {
    StringBuilder text = new StringBuilder();
    for (Throwable t = e; t != null && text.length() < 400; t = t.getCause()) {
      if (text.length() > 0) text.append(" <- ");
      text.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage());
    }
    return text.toString().replaceAll("[\\t\\r\\n]+", " ");
  }
}
