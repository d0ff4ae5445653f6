{{/*
Names. The chart is usually installed as release "kafka-warden", whose names are then just
"kafka-warden" (webhook-config/ assumes that: namespace kafka-warden, Service kafka-warden).
*/}}
{{- define "kafka-warden.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kafka-warden.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "kafka-warden.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kafka-warden.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kafka-warden.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "kafka-warden.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: admission-webhook
app.kubernetes.io/part-of: kafka-warden
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "kafka-warden.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "kafka-warden.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "kafka-warden.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* The serving certificate's Secret (self-managed or written by cert-manager). */}}
{{- define "kafka-warden.tlsSecretName" -}}
{{- printf "%s-tls" (include "kafka-warden.fullname" .) -}}
{{- end -}}

{{/* Every name the API server may use for the Service (it dials <svc>.<ns>.svc). */}}
{{- define "kafka-warden.dnsNames" -}}
{{- $svc := include "kafka-warden.fullname" . -}}
{{- $ns := .Release.Namespace -}}
{{- list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.%s" $svc $ns .Values.clusterDomain) | toJson -}}
{{- end -}}

{{/*
The Secret issuer runs when enabled, with clusters the platform named for it, and somewhere to work
(and the rights for it).
*/}}
{{- define "kafka-warden.issuerActive" -}}
{{- $issuer := .Values.secretIssuer -}}
{{- if and $issuer.enabled $issuer.clusters (or .Values.kafkaNamespaces $issuer.clusterWide) -}}true{{- end -}}
{{- end -}}

{{/*
Refuses at render time what serve would refuse at start (src/kube/issuer/authorisation.ts): a named
cluster the issuer cannot see, an external cluster that is not named. The rest (one principal per
name) serve checks.
*/}}
{{- define "kafka-warden.checkIssuer" -}}
{{- $issuer := .Values.secretIssuer -}}
{{- range $issuer.clusters }}
{{- $namespace := index (splitList "/" .) 0 -}}
{{- if and $.Values.kafkaNamespaces (not (has $namespace $.Values.kafkaNamespaces)) -}}
{{- fail (printf "secretIssuer.clusters names %s, but kafkaNamespaces does not list namespace %s: the issuer would never see it" . $namespace) -}}
{{- end -}}
{{- end -}}
{{- if and $issuer.externalCluster (not (has $issuer.externalCluster $issuer.clusters)) -}}
{{- fail (printf "secretIssuer.externalCluster %s is not one of secretIssuer.clusters" $issuer.externalCluster) -}}
{{- end -}}
{{- end -}}

{{/*
The roll gate's Lease, in the release namespace: named after the release, so two releases in one
namespace never share a leader, and RBAC can name it (get and update only this one).
*/}}
{{- define "kafka-warden.rollGateLease" -}}
{{- printf "%s-roll-gate" (include "kafka-warden.fullname" .) -}}
{{- end -}}

{{/* Does the server talk to the API server at all? */}}
{{- define "kafka-warden.usesKubeApi" -}}
{{- if or .Values.rbac.readPlanConfigMaps .Values.webhooks.validating.scaleSubresource (include "kafka-warden.issuerActive" .) .Values.rollGate.enabled -}}true{{- end -}}
{{- end -}}

{{/*
namespaceSelector for one webhook: never kube-system, kube-node-lease (and whatever else is listed)
nor the webhook's own namespace (a webhook that judges its own pods can lock itself out), nor a
namespace carrying the webhook's opt-out label. The kubernetes.io/metadata.name label is set on
every namespace by the API server (1.22+).
*/}}
{{- define "kafka-warden.namespaceSelector" -}}
{{- $root := .root -}}
{{- $excluded := concat $root.Values.webhooks.excludedNamespaces (list $root.Release.Namespace) | uniq -}}
matchExpressions:
  - key: kubernetes.io/metadata.name
    operator: NotIn
    values: {{ $excluded | toJson }}
  - key: {{ .optOut.key }}
    operator: NotIn
    values: [{{ .optOut.value | quote }}]
{{- end -}}

{{/*
The effective detection settings (docs/configuration.md): per role, the injection configuration's
labels and containerNames replace the defaults as a whole (src/core/config.ts, mergeInto), so the
same is done here. Keep the defaults equal to `kafka-warden defaults` (test/e2e/chart checks).
*/}}
{{- define "kafka-warden.detection" -}}
{{- $defaults := dict
  "kafka" (dict "labels" (dict "app" "cp-kafka") "containerNames" (list "cp-kafka-broker"))
  "zookeeper" (dict "labels" (dict "app" "cp-zookeeper") "containerNames" (list "cp-zookeeper-server")) -}}
{{- $given := (.Values.injection | default dict).detection | default dict -}}
{{- $result := dict -}}
{{- range $role := list "kafka" "zookeeper" -}}
{{- $d := get $defaults $role -}}
{{- $g := get $given $role | default dict -}}
{{- $_ := set $result $role (dict
  "labels" (ternary (get $g "labels") (get $d "labels") (hasKey $g "labels"))
  "containerNames" (ternary (get $g "containerNames") (get $d "containerNames") (hasKey $g "containerNames"))) -}}
{{- end -}}
{{- toYaml $result -}}
{{- end -}}

{{/*
The mutating webhook's match condition (CEL). It must hold for every pod kafka-warden would inject
into (src/core/detect.ts): a container named as in the chart, or all of a role's pod labels (an
image match counts only together with those labels, so the labels alone are a safe superset). It
looks at the stock chart's own labels and container names, never at anything the post-renderer
adds, so pods of releases installed without the post-renderer are matched too. `has()` guards keep
a malformed object from making the expression fail.
*/}}
{{- define "kafka-warden.matchExpression" -}}
{{- $detection := include "kafka-warden.detection" . | fromYaml -}}
{{- $names := list -}}
{{- $labelSets := list -}}
{{- range $role := list "kafka" "zookeeper" -}}
{{- $d := get $detection $role -}}
{{- $names = concat $names ($d.containerNames | default list) -}}
{{- if $d.labels -}}
{{- $labelSets = append $labelSets $d.labels -}}
{{- end -}}
{{- end -}}
{{- $names = $names | uniq -}}
{{- $clauses := dict "pod" list "template" list -}}
{{- range $where, $paths := dict "pod" (dict "meta" "object.metadata" "spec" "object.spec" "guard" "") "template" (dict "meta" "object.spec.template.metadata" "spec" "object.spec.template.spec" "guard" "has(object.spec.template) && ") -}}
{{- $list := list -}}
{{- if $names -}}
{{- $list = append $list (printf "(%shas(%s) && has(%s.containers) && %s.containers.exists(c, c.name in %s))" $paths.guard $paths.spec $paths.spec $paths.spec (toJson $names)) -}}
{{- end -}}
{{- range $labels := $labelSets -}}
{{- $pairs := list -}}
{{- range $key := keys $labels | sortAlpha -}}
{{- $pairs = append $pairs (printf "%s in %s.labels && %s.labels[%s] == %s" (toJson $key) $paths.meta $paths.meta (toJson $key) (toJson (get $labels $key))) -}}
{{- end -}}
{{- $list = append $list (printf "(%shas(%s) && has(%s.labels) && %s)" $paths.guard $paths.meta $paths.meta (join " && " $pairs)) -}}
{{- end -}}
{{- $_ := set $clauses $where (ternary (join " ||\n  " $list) "false" (gt (len $list) 0)) -}}
{{- end -}}
request.kind.kind == "Pod" ? (
  {{ $clauses.pod }}
) : (
  {{ $clauses.template }}
)
{{- end -}}
