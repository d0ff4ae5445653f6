/**
 * ZooKeeper's readiness probe: "this server serves in the ensemble", not "its port is open".
 *
 * `srvr` is the one four-letter word ZooKeeper 3.5.3+ answers by default (4lw.commands.whitelist;
 * the ZooKeeper of every Confluent image kafka-warden supports is 3.5 or later) and it answers
 * `Mode: leader|follower|standalone` only while the server serves; otherwise "This ZooKeeper
 * instance is not currently serving requests". bash's /dev/tcp speaks it without nc (the images
 * start ZooKeeper with bash; nc is not in them). The probe's own deadline is the kubelet's
 * timeoutSeconds.
 *
 * One escape, or the probe could never pass: the chart's ZooKeeper StatefulSet is OrderedReady
 * (immutable), so on a first install the controller creates member 1 only after member 0 is Ready,
 * and member 0 cannot serve before a quorum exists. A member that answers but does not serve is
 * therefore Ready while some member of the ensemble (itself included) has no DNS record: not
 * created yet, or not published because the headless Service lacks publishNotReadyAddresses (then
 * its peers could not reach it and waiting would never end). With every member published, which
 * the post-renderer ensures, a restarted member is Ready only once it has rejoined the quorum.
 */
export function zookeeperServingProbe(clientPort: number): { exec: { command: string[] } } {
  const script = [
    `exec 3<>/dev/tcp/127.0.0.1/${clientPort} || exit 1`,
    'printf srvr >&3',
    'answer=$(cat <&3)',
    'case "$answer" in *"Mode: "*) exit 0 ;; *"not currently serving"*) ;; *) exit 1 ;; esac',
    'IFS=";"',
    'for server in $ZOOKEEPER_SERVERS; do',
    '  getent hosts "${server%%:*}" >/dev/null 2>&1 || exit 0',
    'done',
    'exit 1',
  ].join('\n');
  return { exec: { command: ['bash', '-c', script] } };
}
