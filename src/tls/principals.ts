/**
 * The subject CNs of the certificates derived from a broker StatefulSet, in one place: the Secret
 * issuer and `certs issue --statefulset` both take them from here. Kafka's default principal
 * builder reads such a certificate as `User:CN=<the CN>`; that is what ACLs and `super.users` name.
 *
 * The namespace is part of the name. StatefulSet names repeat across namespaces (every
 * `helm install kafka` makes a `kafka-cp-kafka`), principals must not: without it, whoever could
 * create a StatefulSet anywhere could be issued the production brokers' principal. A namespace
 * holds no dot, so the last dot splits a CN back into one StatefulSet and one namespace. Client
 * Secrets filled on request carry an OU besides (`CN=<name>,OU=<namespace>`), so they never equal
 * one of these.
 */

/** The brokers: `<statefulset>.<namespace>`, e.g. `my-cp-cp-kafka.kafka`. */
export function brokerCommonName(statefulSet: string, namespace: string): string {
  return `${statefulSet}.${namespace}`;
}

/**
 * The chart's other components (schema registry, connect, …) with the client Secret:
 * `<statefulset>-client.<namespace>`. The brokers of a StatefulSet named `<statefulset>-client` in
 * the same namespace would have it too; the issuer refuses to be authorised for both.
 */
export function componentsCommonName(statefulSet: string, namespace: string): string {
  return brokerCommonName(`${statefulSet}-client`, namespace);
}
