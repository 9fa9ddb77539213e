{{/* Names and labels, as `helm create` names them. */}}
{{- define "meshdns.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "meshdns.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "meshdns.selectorLabels" -}}
app.kubernetes.io/name: {{ include "meshdns.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "meshdns.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "meshdns.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: meshdns
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "meshdns.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "meshdns.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "meshdns.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The lame-duck delay in seconds: lameDuckSeconds, or when null the readiness probe's periodSeconds x
failureThreshold (Kubernetes's defaults 10 and 3 when unset), the longest a prober takes to see the pod go.
*/}}
{{- define "meshdns.lameDuckSeconds" -}}
{{- if kindIs "invalid" .Values.lameDuckSeconds }}
{{- mul (.Values.readinessProbe.periodSeconds | default 10) (.Values.readinessProbe.failureThreshold | default 3) }}
{{- else }}
{{- int .Values.lameDuckSeconds }}
{{- end }}
{{- end }}

{{/* Where the config file and the remote clusters' kubeconfigs are mounted in the container. */}}
{{- define "meshdns.configDir" -}}/etc/meshdns/config{{- end }}
{{- define "meshdns.kubeconfigDir" -}}/etc/meshdns/kubeconfigs{{- end }}
{{- define "meshdns.adminTokenDir" -}}/etc/meshdns/admin-token{{- end }}
{{- define "meshdns.tlsDir" -}}/etc/meshdns/tls{{- end }}
{{- define "meshdns.clientCaDir" -}}/etc/meshdns/client-ca{{- end }}
{{- define "meshdns.tsigDir" -}}/etc/meshdns/tsig{{- end }}
{{- define "meshdns.cookieDir" -}}/etc/meshdns/cookie{{- end }}

{{/* The Secret holding one remote cluster's kubeconfig: {name, key}. Argument: (list $ cluster). */}}
{{- define "meshdns.kubeconfigSecret" -}}
{{- $root := index . 0 }}
{{- $cluster := index . 1 }}
{{- $secret := $cluster.kubeconfigSecret | default dict }}
{{- $name := $secret.name | default (printf "%s-kubeconfig-%s" (include "meshdns.fullname" $root) $cluster.id) }}
{{- dict "name" $name "key" ($secret.key | default "kubeconfig") | toJson }}
{{- end }}

{{/*
Where resolvers and secondaries reach meshdns, as a JSON list: the addresses of its Service, for the zone's
NS record when config.nameservers is empty. A LoadBalancer's IP (service.loadBalancerIP, else the ingress
IPs of the Service already installed); otherwise its cluster IP (service.clusterIP, else the cluster IPs of
the Service already installed, read on `helm upgrade`). A first install has no Service to read: a fixed
service.clusterIP (or loadBalancerIP) gives the NS record its address from the start.
*/}}
{{- define "meshdns.serviceAddresses" -}}
{{- $svc := .Values.service }}
{{- $live := dict }}
{{- if .Release.IsUpgrade }}
{{- /* Only an upgrade can find the Service: on install it does not exist yet. */}}
{{- $live = lookup "v1" "Service" .Release.Namespace (include "meshdns.fullname" .) | default dict }}
{{- end }}
{{- $ips := list }}
{{- if eq $svc.type "LoadBalancer" }}
{{- if $svc.loadBalancerIP }}
{{- $ips = list $svc.loadBalancerIP }}
{{- else }}
{{- range (dig "status" "loadBalancer" "ingress" list $live) }}
{{- if .ip }}
{{- $ips = append $ips .ip }}
{{- end }}
{{- end }}
{{- end }}
{{- else if $svc.clusterIP }}
{{- $ips = list $svc.clusterIP }}
{{- else }}
{{- range (dig "spec" "clusterIPs" list $live) }}
{{- if ne . "None" }}
{{- $ips = append $ips . }}
{{- end }}
{{- end }}
{{- end }}
{{- toJson $ips }}
{{- end }}

{{/*
Values that pass the schema but cannot work as a whole. Each failure names the value to change.
Included by every template that depends on them, so `helm template` and `helm install` stop early.
*/}}
{{- define "meshdns.validate" -}}
{{- $lameDuck := int (include "meshdns.lameDuckSeconds" .) }}
{{- if le (int .Values.terminationGracePeriodSeconds) (add $lameDuck 2) }}
{{- fail (printf "meshdns: terminationGracePeriodSeconds (%d) must exceed the lame-duck delay (%d s, lameDuckSeconds or the readiness probe's periodSeconds x failureThreshold) plus the 2 s meshdns takes to stop after SIGTERM" (int .Values.terminationGracePeriodSeconds) $lameDuck) }}
{{- end }}
{{- if and (not .Values.inCluster.enabled) (empty .Values.clusters) }}
{{- fail "meshdns: no cluster to watch: set inCluster.enabled=true (watch the cluster meshdns runs in) or list remote clusters in clusters[]" }}
{{- end }}
{{- $seen := dict }}
{{- if .Values.inCluster.enabled }}
{{- $_ := set $seen .Values.inCluster.id "inCluster.id" }}
{{- end }}
{{- range $i, $c := .Values.clusters }}
{{- $here := printf "clusters[%d].id" $i }}
{{- if hasKey $seen $c.id }}
{{- fail (printf "meshdns: %s: cluster id %q is already used by %s; cluster ids must be unique in the mesh" $here $c.id (get $seen $c.id)) }}
{{- end }}
{{- $_ := set $seen $c.id $here }}
{{- end }}
{{- if eq (int .Values.containerPorts.dns) (int .Values.containerPorts.http) }}
{{- fail (printf "meshdns: containerPorts.http (%d) must differ from containerPorts.dns (%d): both listen on TCP" (int .Values.containerPorts.http) (int .Values.containerPorts.dns)) }}
{{- end }}
{{- $ports := list (int .Values.containerPorts.dns) (int .Values.containerPorts.http) }}
{{- if has (int .Values.containerPorts.admin) $ports }}
{{- fail (printf "meshdns: containerPorts.admin (%d) must differ from containerPorts.dns and containerPorts.http: all listen on TCP" (int .Values.containerPorts.admin)) }}
{{- end }}
{{- with .Values.config.dns.cookies }}
{{- if and .secretName (not .enabled) }}
{{- fail "meshdns: config.dns.cookies.secretName is set but cookies are off: set config.dns.cookies.enabled=true, or leave secretName empty" }}
{{- end }}
{{- end }}
{{- if .Values.tls.enabled }}
{{- if not .Values.tls.secretName }}
{{- fail "meshdns: tls.enabled needs tls.secretName: a kubernetes.io/tls Secret (tls.crt, tls.key), e.g. from a cert-manager Certificate" }}
{{- end }}
{{- if has (int .Values.containerPorts.dot) (append $ports (int .Values.containerPorts.admin)) }}
{{- fail (printf "meshdns: containerPorts.dot (%d) must differ from containerPorts.dns, http and admin: all listen on TCP" (int .Values.containerPorts.dot)) }}
{{- end }}
{{- end }}
{{- if and (not (has .Values.config.admin.bind (list "127.0.0.1" "::1"))) (not .Values.adminToken.secretName) }}
{{- fail (printf "meshdns: config.admin.bind %q is not a loopback address: the status page and /api/* list the whole zone, so set adminToken.secretName (a Secret holding a bearer token), or keep 127.0.0.1 and use kubectl port-forward" .Values.config.admin.bind) }}
{{- end }}
{{- if .Values.autoscaling.enabled }}
{{- if gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas) }}
{{- fail (printf "meshdns: autoscaling.minReplicas (%d) is greater than autoscaling.maxReplicas (%d)" (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- end }}
{{- if not (dig "requests" "cpu" "" .Values.resources) }}
{{- fail "meshdns: autoscaling.enabled needs resources.requests.cpu: CPU utilization is measured against the request" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The meshdns config file. Only keys of meshdns's config schema (ServerConfig), which rejects unknown keys;
empty values are left out so meshdns's own defaults apply.
*/}}
{{- define "meshdns.config" -}}
{{- $c := .Values.config }}
{{- $cfg := dict "zone" $c.zone "ttl" $c.ttl "staleAfter" $c.staleAfter "readyAfter" $c.readyAfter "exportAll" $c.exportAll "clusterScopedNames" $c.clusterScopedNames }}
{{- if $c.reverseZones }}
{{- $_ := set $cfg "reverseZones" $c.reverseZones }}
{{- end }}
{{- if $c.nameservers }}
{{- $_ := set $cfg "nameservers" $c.nameservers }}
{{- else }}
{{- $addresses := include "meshdns.serviceAddresses" . | fromJsonArray }}
{{- if $addresses }}
{{- $_ := set $cfg "nameservers" (list (dict "name" (printf "ns.%s" (trimSuffix "." $c.zone)) "addresses" $addresses)) }}
{{- end }}
{{- end }}
{{- $axfr := dict }}
{{- if $c.axfr.allow }}
{{- $_ := set $axfr "allow" $c.axfr.allow }}
{{- end }}
{{- if $c.axfr.tsig }}
{{- $keys := list }}
{{- range $c.axfr.tsig }}
{{- /* The secret itself stays in its Secret: meshdns reads the file mounted from it. */}}
{{- $keys = append $keys (dict "name" .name "algorithm" (.algorithm | default "hmac-sha256") "secretFile" (printf "%s/%s" (include "meshdns.tsigDir" $) .name)) }}
{{- end }}
{{- $_ := set $axfr "tsig" $keys }}
{{- end }}
{{- if $c.axfr.notify }}
{{- $_ := set $axfr "notify" $c.axfr.notify }}
{{- end }}
{{- if and $axfr (hasKey ($c.axfr.journal | default dict) "depth") }}
{{- $_ := set $axfr "journal" (dict "depth" $c.axfr.journal.depth) }}
{{- end }}
{{- if $axfr }}
{{- $_ := set $cfg "axfr" $axfr }}
{{- end }}
{{- $lb := dict "policy" $c.loadBalancing.policy "maxAnswers" $c.loadBalancing.maxAnswers "ednsClusterOption" $c.loadBalancing.ednsClusterOption }}
{{- if $c.loadBalancing.zones }}
{{- $_ := set $lb "zones" $c.loadBalancing.zones }}
{{- end }}
{{- $_ := set $cfg "loadBalancing" $lb }}
{{- $dns := dict "bind" $c.dns.bind "port" .Values.containerPorts.dns "tcpIdleTimeout" $c.dns.tcpIdleTimeout "tcpQueryTimeout" $c.dns.tcpQueryTimeout "maxTcpConnections" $c.dns.maxTcpConnections "maxTcpConnectionsPerSource" $c.dns.maxTcpConnectionsPerSource "maxTcpPendingOutputPerConnection" $c.dns.maxTcpPendingOutputPerConnection "cache" $c.dns.cache }}
{{- with $c.dns.maxTcpPendingOutput }}
{{- $_ := set $dns "maxTcpPendingOutput" . }}
{{- end }}
{{- with $c.dns.rateLimit }}
{{- if .responsesPerSecond }}
{{- $_ := set $dns "rateLimit" (dict "responsesPerSecond" .responsesPerSecond "slip" .slip "window" .window) }}
{{- end }}
{{- end }}
{{- $chaos := dict }}
{{- range $key := list "version" "id" }}
{{- with get ($c.dns.chaos | default dict) $key }}
{{- $_ := set $chaos $key . }}
{{- end }}
{{- end }}
{{- if $chaos }}
{{- $_ := set $dns "chaos" $chaos }}
{{- end }}
{{- with $c.dns.cookies }}
{{- if .enabled }}
{{- $cookies := dict "enabled" true }}
{{- if .secretName }}
{{- /* The secret itself stays in its Secret: meshdns reads the file mounted from it. */}}
{{- $_ := set $cookies "secretFile" (printf "%s/%s" (include "meshdns.cookieDir" $) .secretKey) }}
{{- end }}
{{- $_ := set $dns "cookies" $cookies }}
{{- end }}
{{- end }}
{{- if .Values.tls.enabled }}
{{- $tls := dict "port" .Values.containerPorts.dot "certFile" (printf "%s/tls.crt" (include "meshdns.tlsDir" .)) "keyFile" (printf "%s/tls.key" (include "meshdns.tlsDir" .)) "padding" (.Values.tls.padding | default "edns") }}
{{- if .Values.tls.clientCA.key }}
{{- $_ := set $tls "clientCaFile" (printf "%s/%s" (include "meshdns.clientCaDir" .) .Values.tls.clientCA.key) }}
{{- end }}
{{- $_ := set $dns "tls" $tls }}
{{- end }}
{{- with $c.dns.udpTransport }}
{{- $_ := set $dns "udpTransport" . }}
{{- end }}
{{- $_ := set $cfg "dns" $dns }}
{{- $_ := set $cfg "http" (dict "bind" $c.http.bind "port" .Values.containerPorts.http "maxConnections" $c.http.maxConnections "maxConnectionsPerSource" $c.http.maxConnectionsPerSource "requestTimeout" $c.http.requestTimeout "idleTimeout" $c.http.idleTimeout) }}
{{- $admin := dict "bind" $c.admin.bind "port" .Values.containerPorts.admin "maxConnections" $c.admin.maxConnections "maxConnectionsPerSource" $c.admin.maxConnectionsPerSource "requestTimeout" $c.admin.requestTimeout "idleTimeout" $c.admin.idleTimeout }}
{{- if .Values.adminToken.secretName }}
{{- $_ := set $admin "tokenFile" (printf "%s/%s" (include "meshdns.adminTokenDir" .) .Values.adminToken.key) }}
{{- end }}
{{- $_ := set $cfg "admin" $admin }}
{{- with $c.status }}
{{- if hasKey (.topNames | default dict) "enabled" }}
{{- $_ := set $cfg "status" (dict "topNames" (dict "enabled" .topNames.enabled)) }}
{{- end }}
{{- end }}
{{- $clusters := list }}
{{- if .Values.inCluster.enabled }}
{{- $ic := .Values.inCluster }}
{{- $entry := dict "id" $ic.id "inCluster" true "reachability" $ic.reachability "weight" $ic.weight "priority" $ic.priority }}
{{- if $ic.sourceCidrs }}
{{- $_ := set $entry "sourceCidrs" $ic.sourceCidrs }}
{{- end }}
{{- if $ic.reverseZones }}
{{- $_ := set $entry "reverseZones" $ic.reverseZones }}
{{- end }}
{{- $clusters = append $clusters $entry }}
{{- end }}
{{- range .Values.clusters }}
{{- /* No kubeconfig key: meshdns reads <kubeconfigDir>/<id>, the file mounted from the cluster's Secret. */}}
{{- $entry := dict "id" .id }}
{{- if .context }}
{{- $_ := set $entry "context" .context }}
{{- end }}
{{- if .reachability }}
{{- $_ := set $entry "reachability" .reachability }}
{{- end }}
{{- if hasKey . "weight" }}
{{- $_ := set $entry "weight" .weight }}
{{- end }}
{{- if hasKey . "priority" }}
{{- $_ := set $entry "priority" .priority }}
{{- end }}
{{- if .sourceCidrs }}
{{- $_ := set $entry "sourceCidrs" .sourceCidrs }}
{{- end }}
{{- if .reverseZones }}
{{- $_ := set $entry "reverseZones" .reverseZones }}
{{- end }}
{{- $clusters = append $clusters $entry }}
{{- end }}
{{- if .Values.clusters }}
{{- $_ := set $cfg "kubeconfigDir" (include "meshdns.kubeconfigDir" .) }}
{{- end }}
{{- $_ := set $cfg "clusters" $clusters }}
{{- toYaml $cfg }}
{{- end }}
