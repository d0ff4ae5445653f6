/**
 * Prometheus JMX exporter configurations that really match Kafka's and ZooKeeper's MBeans.
 *
 * cp-helm-charts 0.5.0 writes its object-name filters with a space after the comma
 * ("kafka.server:type=ReplicaManager, name=*"), which no ObjectName matches, so its exporter serves
 * no Kafka metric at all (upstream #461). Filters here have no spaces; rule patterns do, because the
 * exporter formats beans as `domain<key=value, key=value><>attribute`. Metric names keep the chart's
 * `cp_kafka_` / `cp_zookeeper_` prefixes so existing dashboards keep working, and
 * kafka.cluster:type=Partition adds UnderMinIsr/AtMinIsr next to UnderReplicatedPartitions.
 *
 * Since Kafka 2.0 (KIP-272) every RequestsPerSec bean also carries the request's API version
 * (`…,request=Produce,version=9`). A filter value without `,*` admits only the keys it names, so
 * the chart's `request=*` admitted none of them and its pattern would have folded the version into
 * the metric name: the filter names `version` too, and the rule makes it a label so the versions
 * of one request stay one metric. Every rule here is checked against real 2.7 and 3.9 brokers
 * (test/e2e/kafka, docs/kafka-e2e.md).
 */

export function kafkaExporterConfig(jmxPort: number): string {
  return `jmxUrl: service:jmx:rmi:///jndi/rmi://localhost:${jmxPort}/jmxrmi
lowercaseOutputName: true
lowercaseOutputLabelNames: true
ssl: false
whitelistObjectNames:
- kafka.server:type=ReplicaManager,name=*
- kafka.controller:type=KafkaController,name=*
- kafka.server:type=BrokerTopicMetrics,name=*
- kafka.network:type=RequestMetrics,name=RequestsPerSec,request=*,version=*
- kafka.network:type=SocketServer,name=NetworkProcessorAvgIdlePercent
- kafka.server:type=ReplicaFetcherManager,name=MaxLag,clientId=*
- kafka.server:type=KafkaRequestHandlerPool,name=RequestHandlerAvgIdlePercent
- kafka.controller:type=ControllerStats,name=*
- kafka.server:type=SessionExpireListener,name=*
- kafka.cluster:type=Partition,name=*,topic=*,partition=*
rules:
- pattern: kafka.server<type=ReplicaManager, name=(.+)><>(Value|OneMinuteRate)
  name: cp_kafka_server_replicamanager_$1
- pattern: kafka.controller<type=KafkaController, name=(.+)><>Value
  name: cp_kafka_controller_kafkacontroller_$1
- pattern: kafka.server<type=BrokerTopicMetrics, name=(.+)><>OneMinuteRate
  name: cp_kafka_server_brokertopicmetrics_$1
- pattern: kafka.network<type=RequestMetrics, name=RequestsPerSec, request=([^,]+), version=([0-9]+)><>OneMinuteRate
  name: cp_kafka_network_requestmetrics_requestspersec_$1
  labels:
    version: "$2"
- pattern: kafka.network<type=SocketServer, name=NetworkProcessorAvgIdlePercent><>Value
  name: cp_kafka_network_socketserver_networkprocessoravgidlepercent
- pattern: kafka.server<type=ReplicaFetcherManager, name=MaxLag, clientId=(.+)><>Value
  name: cp_kafka_server_replicafetchermanager_maxlag_$1
- pattern: kafka.server<type=KafkaRequestHandlerPool, name=RequestHandlerAvgIdlePercent><>OneMinuteRate
  name: cp_kafka_kafkarequesthandlerpool_requesthandleravgidlepercent
- pattern: kafka.controller<type=ControllerStats, name=(.+)><>OneMinuteRate
  name: cp_kafka_controller_controllerstats_$1
- pattern: kafka.server<type=SessionExpireListener, name=(.+)><>OneMinuteRate
  name: cp_kafka_server_sessionexpirelistener_$1
- pattern: kafka.cluster<type=Partition, name=(UnderMinIsr|AtMinIsr|UnderReplicated), topic=(.+), partition=(.+)><>Value
  name: cp_kafka_cluster_partition_$1
  labels:
    topic: $2
    partition: $3
`;
}

export function zookeeperExporterConfig(jmxPort: number): string {
  return `jmxUrl: service:jmx:rmi:///jndi/rmi://localhost:${jmxPort}/jmxrmi
lowercaseOutputName: true
lowercaseOutputLabelNames: true
ssl: false
whitelistObjectNames:
- org.apache.ZooKeeperService:name0=ReplicatedServer_id*
- org.apache.ZooKeeperService:name0=ReplicatedServer_id*,name1=replica.*
- org.apache.ZooKeeperService:name0=ReplicatedServer_id*,name1=replica.*,name2=*
- org.apache.ZooKeeperService:name0=ReplicatedServer_id*,name1=replica.*,name2=*,name3=*
rules:
- pattern: "org.apache.ZooKeeperService<name0=ReplicatedServer_id(\\\\d+)><>(\\\\w+)"
  name: cp_zookeeper_$2
- pattern: "org.apache.ZooKeeperService<name0=ReplicatedServer_id(\\\\d+), name1=replica.(\\\\d+)><>(\\\\w+)"
  name: cp_zookeeper_$3
  labels:
    replicaId: "$2"
- pattern: "org.apache.ZooKeeperService<name0=ReplicatedServer_id(\\\\d+), name1=replica.(\\\\d+), name2=(\\\\w+)><>(\\\\w+)"
  name: cp_zookeeper_$4
  labels:
    replicaId: "$2"
    memberType: "$3"
- pattern: "org.apache.ZooKeeperService<name0=ReplicatedServer_id(\\\\d+), name1=replica.(\\\\d+), name2=(\\\\w+), name3=(\\\\w+)><>(\\\\w+)"
  name: cp_zookeeper_$4_$5
  labels:
    replicaId: "$2"
    memberType: "$3"
`;
}
