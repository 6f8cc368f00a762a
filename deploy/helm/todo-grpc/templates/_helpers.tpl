{{/* Names: <release>-todo-grpc, or the release name when it says so already. */}}
{{- define "todo.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "todo.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/part-of: todo-grpc
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "name" "auth"). */}}
{{- define "todo.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{/* The gRPC service name each backend's readiness follows. */}}
{{- define "todo.grpcService" -}}
{{- get (dict "auth" "todo.auth.v1.AuthService" "tasks" "todo.tasks.v1.TasksService" "chat" "todo.chat.v1.ChatService") . -}}
{{- end -}}

{{/*
One component's settings as YAML (read back with fromYaml): the top-level
replicaCount, image, resources and autoscaling, overridden by the
component's own block.
*/}}
{{- define "todo.component" -}}
{{- $root := .root -}}
{{- $defaults := dict "replicaCount" $root.Values.replicaCount "image" (deepCopy $root.Values.image) "resources" (deepCopy $root.Values.resources) "autoscaling" (deepCopy $root.Values.autoscaling) -}}
{{- if eq .name "gateway" -}}
{{- $_ := set $defaults "service" (deepCopy $root.Values.service) -}}
{{- end -}}
{{- $merged := mergeOverwrite $defaults (deepCopy (index $root.Values .name)) -}}
{{- if and $merged.autoscaling.enabled (not (dig "requests" "cpu" "" $merged.resources)) -}}
{{- fail (printf "%s: autoscaling needs a CPU request (resources.requests.cpu), or set autoscaling.enabled=false" .name) -}}
{{- end -}}
{{- toYaml $merged -}}
{{- end -}}

{{- define "todo.image" -}}
{{- $repository := .image.repository | default (printf "todo-%s" .name) -}}
{{- if .root.Values.global.imageRegistry -}}
{{- $repository = printf "%s/%s" (trimSuffix "/" .root.Values.global.imageRegistry) $repository -}}
{{- end -}}
{{- printf "%s:%s" $repository (.image.tag | default .root.Chart.AppVersion | toString) -}}
{{- end -}}

{{/* The in-cluster Postgres runs only when no external database is named. */}}
{{- define "todo.inClusterPostgres" -}}
{{- if and .Values.postgresql.enabled (not .Values.secrets.databaseUrl) (not .Values.existingSecret.name) -}}true{{- end -}}
{{- end -}}

{{- define "todo.secretName" -}}
{{- .Values.existingSecret.name | default (printf "%s-secrets" (include "todo.fullname" .)) -}}
{{- end -}}

{{/* Where each backend is: every pod's address, through the headless Service. */}}
{{- define "todo.backendAddress" -}}
{{- printf "%s-%s-headless.%s.svc.cluster.local:%v" (include "todo.fullname" .root) .name .root.Release.Namespace (index .root.Values .name "containerPort") -}}
{{- end -}}

{{- define "todo.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1001
runAsGroup: 1001
fsGroup: 1001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "todo.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
{{- end -}}

{{/*
Secrets a container gets, by name: (dict "root" $ "name" "chat"). The
gateway needs none; only chat talks to an LLM provider.
*/}}
{{- define "todo.secretEnv" -}}
{{- $root := .root -}}
{{- $secret := include "todo.secretName" $root -}}
{{- $keys := $root.Values.existingSecret.keys -}}
{{- if ne .name "gateway" }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $keys.databaseUrl }}
- name: BETTER_AUTH_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $keys.betterAuthSecret }}
{{- end }}
{{- if eq .name "chat" }}
- name: OPENAI_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $keys.openaiApiKey }}
      optional: true
{{- end }}
{{- end -}}

{{- define "todo.checksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- if not .Values.existingSecret.name }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}
{{- end -}}
