package no.nav.lookup.example;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import no.nav.lookup.contracts.ErrorReply;
import no.nav.lookup.contracts.ReplyAapVedtak;
import no.nav.lookup.contracts.ReplyFrikortBrev;
import no.nav.lookup.contracts.ReplyMedlemskapsunntakSearch;
import no.nav.lookup.contracts.ReplyPensjonSimulerAlderspensjon;
import no.nav.lookup.contracts.ReplyPensjonVedtaksinformasjon;
import no.nav.lookup.contracts.ReplySareksportSamhandlere;
import no.nav.lookup.contracts.ReplyUforeopplysningerGet;
import no.nav.lookup.contracts.RequestAapVedtak;
import no.nav.lookup.contracts.RequestFrikortBrev;
import no.nav.lookup.contracts.RequestMedlemskapsunntakSearch;
import no.nav.lookup.contracts.RequestPensjonSimulerAlderspensjon;
import no.nav.lookup.contracts.RequestPensjonVedtaksinformasjon;
import no.nav.lookup.contracts.RequestSareksportSamhandlere;
import no.nav.lookup.contracts.RequestUforeopplysningerGet;
import no.nav.lookup.contracts.SimulerAlderspensjonRequestV3;
import no.nav.lookup.contracts.Uttak;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Asks the adapter one lookup of each NAV API it serves and prints each typed reply as a JSON line.
 *
 * <p>Requests go to this caller's request topic, lz4-compressed, keyed and correlated by their
 * request_id. Replies are read from this caller's reply topic without a consumer group, from the
 * end as it was before the first request: every instance sees every reply and keeps its own by
 * the correlation_id header, so any number of instances can run at once.
 *
 * <p>Usage: {@code java -jar nav-lookup-caller.jar bootstrap=HOST:PORT caller=NAME ident=FNR
 * consent_id=UUID tpnr=3010 [request_topic=...] [reply_topic=...] [timeout_seconds=60]}
 */
public final class Caller {
  private static final String CORRELATION_ID = "correlation_id";

  private record Ask(String operation, Object request, Class<?> replyType) {}

  private Caller() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> options = options(args);
    String caller = options.getOrDefault("caller", "dev");
    String bootstrap = options.getOrDefault("bootstrap", "127.0.0.1:19092");
    String requestTopic = options.getOrDefault("request_topic", "nav.lookup.v1.requests." + caller);
    String replyTopic = options.getOrDefault("reply_topic", "nav.lookup.v1.replies." + caller);
    Duration timeout = Duration.ofSeconds(Long.parseLong(options.getOrDefault("timeout_seconds", "60")));
    ObjectMapper json =
        JsonMapper.builder()
            .addModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            // NAV may add fields to its models; a caller should not break on them.
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    List<Ask> asks = asks(options);
    try (KafkaConsumer<String, byte[]> consumer = consumer(bootstrap);
        KafkaProducer<String, byte[]> producer = producer(bootstrap)) {
      List<TopicPartition> partitions =
          consumer.partitionsFor(replyTopic, Duration.ofSeconds(30)).stream()
              .map(p -> new TopicPartition(p.topic(), p.partition()))
              .toList();
      consumer.assign(partitions);
      consumer.seekToEnd(partitions);
      partitions.forEach(consumer::position); // fixes "the end" before anything is sent

      Map<String, Ask> pending = new HashMap<>();
      for (Ask ask : asks) {
        byte[] value = json.writeValueAsBytes(ask.request());
        String requestId = json.readTree(value).get("request_id").asText();
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(requestTopic, requestId, value);
        record.headers().add(CORRELATION_ID, requestId.getBytes(StandardCharsets.UTF_8));
        pending.put(requestId, ask);
        producer.send(record).get();
      }

      Instant deadline = Instant.now().plus(timeout);
      while (!pending.isEmpty() && Instant.now().isBefore(deadline)) {
        for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
          Header header = record.headers().lastHeader(CORRELATION_ID);
          Ask ask = header == null ? null : pending.remove(new String(header.value(), StandardCharsets.UTF_8));
          if (ask == null) {
            continue; // another caller instance's reply
          }
          JsonNode tree = json.readTree(record.value());
          boolean ok = "ok".equals(tree.path("status").asText());
          Class<?> type = ok ? ask.replyType() : ErrorReply.class;
          Object reply = json.treeToValue(tree, type);
          Map<String, Object> line = new HashMap<>();
          line.put("operation", ask.operation());
          line.put("type", reply.getClass().getSimpleName());
          line.put("reply", reply);
          System.out.println(json.writeValueAsString(line));
        }
      }
      if (!pending.isEmpty()) {
        pending.values().forEach(a -> System.err.println("no reply in time for " + a.operation()));
        System.exit(1);
      }
    }
  }

  /** One operation of each NAV API the adapter serves. */
  private static List<Ask> asks(Map<String, String> options) {
    String ident = options.get("ident");
    UUID consent = UUID.fromString(options.get("consent_id"));
    String tpnr = options.getOrDefault("tpnr", "3010");

    RequestMedlemskapsunntakSearch medlemskap = new RequestMedlemskapsunntakSearch();
    medlemskap.setRequestId(UUID.randomUUID());
    medlemskap.setOperation("medlemskapsunntak.search");
    medlemskap.setScope("nav:helse/v1/medlemskapsunntak");
    medlemskap.setIdent(ident);

    RequestUforeopplysningerGet ufore = new RequestUforeopplysningerGet();
    ufore.setRequestId(UUID.randomUUID());
    ufore.setOperation("uforeopplysninger.get");
    ufore.setScope("nav:helse/v1/uforeopplysninger");
    ufore.setIdent(ident);
    ufore.setConsentId(consent);

    RequestAapVedtak aap = new RequestAapVedtak();
    aap.setRequestId(UUID.randomUUID());
    aap.setOperation("aap.vedtak");
    aap.setScope("nav:arbeid/v1/aap");
    aap.setIdent(ident);
    aap.setConsentId(consent);

    RequestFrikortBrev frikort = new RequestFrikortBrev();
    frikort.setRequestId(UUID.randomUUID());
    frikort.setOperation("frikort.brev");
    frikort.setScope("nav:helserefusjon/v1/frikort");
    frikort.setIdent(ident);

    RequestSareksportSamhandlere sar = new RequestSareksportSamhandlere();
    sar.setRequestId(UUID.randomUUID());
    sar.setOperation("sareksport.samhandlere");
    sar.setScope("nav:helserefusjon/v1/sareksport");
    sar.setAntall(5);

    RequestPensjonVedtaksinformasjon vedtak = new RequestPensjonVedtaksinformasjon();
    vedtak.setRequestId(UUID.randomUUID());
    vedtak.setOperation("pensjon.vedtaksinformasjon");
    vedtak.setScope("nav:pensjon/v1/vedtaksinformasjon");
    vedtak.setIdent(ident);
    vedtak.setTpnr(tpnr);
    vedtak.setFom(LocalDate.of(2020, 1, 1));

    Uttak uttak = new Uttak();
    uttak.setDatoFom(LocalDate.of(2027, 1, 1));
    uttak.setGrad(Uttak.Grad._100);
    SimulerAlderspensjonRequestV3 simulering = new SimulerAlderspensjonRequestV3();
    simulering.setFnr(ident);
    simulering.setSivilstandVedPensjonering(SimulerAlderspensjonRequestV3.SivilstandVedPensjonering.UGIF);
    simulering.setForsteUttak(uttak);
    RequestPensjonSimulerAlderspensjon simuler = new RequestPensjonSimulerAlderspensjon();
    simuler.setRequestId(UUID.randomUUID());
    simuler.setOperation("pensjon.simuler_alderspensjon");
    simuler.setScope("nav:pensjon/v3/alderspensjon");
    simuler.setTpnr(tpnr);
    simuler.setSimulering(simulering);

    return List.of(
        new Ask("medlemskapsunntak.search", medlemskap, ReplyMedlemskapsunntakSearch.class),
        new Ask("uforeopplysninger.get", ufore, ReplyUforeopplysningerGet.class),
        new Ask("aap.vedtak", aap, ReplyAapVedtak.class),
        new Ask("frikort.brev", frikort, ReplyFrikortBrev.class),
        new Ask("sareksport.samhandlere", sar, ReplySareksportSamhandlere.class),
        new Ask("pensjon.vedtaksinformasjon", vedtak, ReplyPensjonVedtaksinformasjon.class),
        new Ask("pensjon.simuler_alderspensjon", simuler, ReplyPensjonSimulerAlderspensjon.class));
  }

  private static KafkaProducer<String, byte[]> producer(String bootstrap) {
    Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
  }

  private static KafkaConsumer<String, byte[]> consumer(String bootstrap) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> options = new HashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      if (eq < 1) {
        throw new IllegalArgumentException("expected name=value, got " + arg);
      }
      options.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    return options;
  }
}
