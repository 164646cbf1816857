{{/*
Names and labels, as zero-to-jupyterhub's _helpers.tpl: one place decides every name, the labels
every object carries and the (immutable) selector labels.
*/}}

{{/* The chart's name (nameOverride). */}}
{{- define "sparkgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Prefix of every object name: fullnameOverride, else the release name when it already contains the
chart's name (release "sparkgate" → "sparkgate"), else "<release>-<chart>".
*/}}
{{- define "sparkgate.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := include "sparkgate.name" . }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* helm.sh/chart: name-version, "+" is not allowed in a label value. */}}
{{- define "sparkgate.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Object names. */}}
{{- define "sparkgate.gateway.fullname" -}}{{ include "sparkgate.fullname" . }}-gateway{{- end }}
{{- define "sparkgate.gateway.serviceAccountName" -}}{{ include "sparkgate.fullname" . }}{{- end }}
{{- define "sparkgate.config.fullname" -}}{{ include "sparkgate.fullname" . }}-config{{- end }}
{{- define "sparkgate.lease.fullname" -}}{{ include "sparkgate.fullname" . }}-gateway-lease{{- end }}
{{- define "sparkgate.kernel.serviceAccountName" -}}{{ include "sparkgate.fullname" . }}-kernel{{- end }}
{{- define "sparkgate.executor.serviceAccountName" -}}{{ include "sparkgate.fullname" . }}-executor{{- end }}

{{/*
Selector labels of a component (call with dict "root" $ "component" "gateway"). Selectors are
immutable, so this is only what never changes for a release's component: "<fullname>-<component>",
unique per release. The tenants' NetworkPolicies select the gateway pods with the same labels.
*/}}
{{- define "sparkgate.matchLabels" -}}
app.kubernetes.io/name: {{ include "sparkgate.fullname" .root }}-{{ .component }}
{{- end }}

{{/*
Labels of every object the chart makes (call with dict "root" $ "component" "<component>"):
the selector labels plus the recommended app.kubernetes.io/* and helm.sh/chart. `helm uninstall`
leaves nothing with app.kubernetes.io/instance=<release> behind.
*/}}
{{- define "sparkgate.labels" -}}
{{ include "sparkgate.matchLabels" . }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: sparkgate
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ include "sparkgate.chart" .root }}
{{- end }}

{{/* The gateway image reference: name[:tag]. */}}
{{- define "sparkgate.gateway.image" -}}
{{- with .Values.gateway.image }}{{ .name }}{{ with .tag }}:{{ . }}{{ end }}{{ end }}
{{- end }}

{{/*
A tenant's settings (call with dict "root" $ "name" <key> "tenant" <value>): tenantDefaults merged
under the tenant's own, and namespace defaulting to the key.
*/}}
{{- define "sparkgate.tenant" -}}
{{- $t := mergeOverwrite (deepCopy .root.Values.tenantDefaults) (deepCopy (default dict .tenant)) }}
{{- $_ := set $t "namespace" (default .name $t.namespace) }}
{{- toYaml $t }}
{{- end }}

{{/*
The gateway's config file (server/src/config/schema.ts) from `config:` and `tenants:`. The names of
what the chart itself creates (service accounts, the Lease and its namespace) are set here, so the
file and the RBAC cannot disagree.
*/}}
{{- define "sparkgate.configFile" -}}
{{- $cfg := deepCopy (omit .Values.config "kubernetes") }}
{{- $tenants := dict }}
{{- range $name, $tenant := .Values.tenants }}
{{- $t := include "sparkgate.tenant" (dict "root" $ "name" $name "tenant" $tenant) | fromYaml }}
{{- $entry := dict "namespace" $t.namespace }}
{{- range $key := list "limits" "profiles" "cull" "pools" }}
{{- if hasKey $t $key }}{{ $_ := set $entry $key (get $t $key) }}{{ end }}
{{- end }}
{{- $_ := set $tenants $name $entry }}
{{- end }}
{{- $_ := set $cfg "tenants" $tenants }}
{{- $k := deepCopy (default dict .Values.config.kubernetes) }}
{{- $_ := set $k "kernelServiceAccount" (include "sparkgate.kernel.serviceAccountName" .) }}
{{- $_ := set $k "executorServiceAccount" (include "sparkgate.executor.serviceAccountName" .) }}
{{- $_ := set $k "leaseName" (include "sparkgate.gateway.fullname" .) }}
{{- $_ := set $k "leaseNamespace" .Release.Namespace }}
{{- $_ := set $cfg "kubernetes" $k }}
{{- toYaml $cfg }}
{{- end }}
