import com.sun.security.auth.login.ConfigFile;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.TreeMap;
import javax.security.auth.login.AppConfigurationEntry;
import javax.security.auth.login.Configuration;

/**
 * Reads kafka-warden's SASL files the way the JVM does and prints what it understood, one line per
 * login module and option: `java JaasCheck.java jaas FILE SECTION...` for the brokers' JAAS file,
 * `java JaasCheck.java properties FILE` for the clients' properties (its sasl.jaas.config value is
 * read as a KafkaClient section, the grammar Kafka's JaasConfig shares with JAAS files).
 */
public class JaasCheck {
  public static void main(String[] args) throws Exception {
    if (args[0].equals("properties")) {
      Properties properties = new Properties();
      try (Reader reader = Files.newBufferedReader(Path.of(args[1]), StandardCharsets.UTF_8)) {
        properties.load(reader);
      }
      Path section = Files.createTempFile("kw-jaas", ".conf");
      Files.writeString(section, "KafkaClient {\n" + properties.getProperty("sasl.jaas.config") + "\n};\n");
      print(new ConfigFile(section.toUri()), "KafkaClient");
      Files.delete(section);
    } else {
      ConfigFile config = new ConfigFile(Path.of(args[1]).toUri());
      for (int i = 2; i < args.length; i++) print(config, args[i]);
    }
  }

  private static void print(Configuration config, String section) {
    AppConfigurationEntry[] entries = config.getAppConfigurationEntry(section);
    if (entries == null) {
      System.out.println(section + "\tmissing");
      return;
    }
    for (AppConfigurationEntry entry : entries) {
      System.out.println(section + "\tmodule\t" + entry.getLoginModuleName() + "\t" + entry.getControlFlag());
      new TreeMap<String, Object>(entry.getOptions())
          .forEach((key, value) -> System.out.println(section + "\toption\t" + key + "\t" + value));
    }
  }
}
