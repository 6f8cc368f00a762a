// What every rendering of the chart must hold, whatever the values: the
// rules deploy/README.md promises operators. Returns the broken ones.

const grpcServices = {
  auth: 'todo.auth.v1.AuthService',
  tasks: 'todo.tasks.v1.TasksService',
  chat: 'todo.chat.v1.ChatService',
};
const secretLikeName = /SECRET|PASSWORD|API_KEY|TOKEN|DATABASE_URL/;

function podSpecs(objects) {
  const specs = [];
  for (const object of objects) {
    const name = `${object.kind}/${object.metadata.name}`;
    if (object.kind === 'Pod') specs.push({ name, spec: object.spec, labels: object.metadata.labels });
    if (['Deployment', 'StatefulSet'].includes(object.kind)) {
      specs.push({ name, spec: object.spec.template.spec, labels: object.spec.template.metadata.labels });
    }
  }
  return specs;
}

function matches(selector, labels) {
  return Object.entries(selector || {}).every(([key, value]) => (labels || {})[key] === value);
}

// Every secret string the rendering or the values hold, decoded.
function secretValues(objects, values) {
  const found = new Set();
  for (const object of objects.filter((o) => o.kind === 'Secret')) {
    for (const encoded of Object.values(object.data || {})) {
      found.add(Buffer.from(encoded, 'base64').toString('utf8'));
    }
    for (const plain of Object.values(object.stringData || {})) found.add(plain);
  }
  for (const value of Object.values(values.secrets || {})) if (value) found.add(String(value));
  if (values.postgresql?.password) found.add(values.postgresql.password);
  return [...found].filter((value) => value.length >= 6);
}

function checkBackendProbes(deployment, component, problems) {
  const name = `Deployment/${deployment.metadata.name}`;
  const container = deployment.spec.template.spec.containers[0];
  const port = container.ports.find((p) => p.name === 'grpc')?.containerPort;
  if (!port) problems.push(`${name}: no port named grpc`);
  const expected = {
    startupProbe: 'liveness',
    livenessProbe: 'liveness',
    readinessProbe: grpcServices[component],
  };
  for (const [probe, service] of Object.entries(expected)) {
    const grpc = container[probe]?.grpc;
    if (!grpc) problems.push(`${name}: ${probe} is not a gRPC probe`);
    else if (grpc.port !== port || grpc.service !== service) {
      problems.push(`${name}: ${probe} asks ${grpc.service} on ${grpc.port}, expected ${service} on ${port}`);
    }
  }
}

export function checkPolicy(objects, values) {
  const problems = [];
  const byKind = (kind) => objects.filter((object) => object.kind === kind);
  const deployments = byKind('Deployment');

  for (const component of ['gateway', 'auth', 'tasks', 'chat']) {
    const deployment = deployments.find((d) => d.metadata.labels['app.kubernetes.io/name'] === component);
    if (!deployment) {
      problems.push(`no Deployment for ${component}`);
      continue;
    }
    const strategy = deployment.spec.strategy?.rollingUpdate;
    if (strategy?.maxSurge !== 1 || strategy?.maxUnavailable !== 0) {
      problems.push(`Deployment/${deployment.metadata.name}: rolling update is not maxSurge 1 / maxUnavailable 0`);
    }
    if (component === 'gateway') {
      const container = deployment.spec.template.spec.containers[0];
      if (container.livenessProbe?.httpGet?.path !== '/health' || container.readinessProbe?.httpGet?.path !== '/ready') {
        problems.push(`Deployment/${deployment.metadata.name}: gateway probes are not /health and /ready`);
      }
    } else {
      checkBackendProbes(deployment, component, problems);
      const headless = byKind('Service').find(
        (s) => s.spec.clusterIP === 'None' && matches(s.spec.selector, deployment.spec.template.metadata.labels),
      );
      if (!headless) problems.push(`${component}: no headless Service selects its pods`);
    }
  }

  for (const { name, spec, labels } of podSpecs(objects)) {
    const pod = spec.securityContext || {};
    if (pod.runAsNonRoot !== true || !(pod.runAsUser > 0)) problems.push(`${name}: may run as root`);
    if (pod.seccompProfile?.type !== 'RuntimeDefault') problems.push(`${name}: seccomp is not RuntimeDefault`);
    if (spec.automountServiceAccountToken !== false) problems.push(`${name}: mounts a service-account token`);
    for (const container of [...(spec.initContainers || []), ...spec.containers]) {
      const where = `${name} container ${container.name}`;
      const security = container.securityContext || {};
      if (security.allowPrivilegeEscalation !== false) problems.push(`${where}: privilege escalation allowed`);
      if (security.readOnlyRootFilesystem !== true) problems.push(`${where}: root filesystem is writable`);
      if (!(security.capabilities?.drop || []).includes('ALL')) problems.push(`${where}: capabilities not dropped`);
      if (security.runAsUser === 0) problems.push(`${where}: runs as root`);
      const resources = container.resources || {};
      if (!resources.requests?.cpu || !resources.requests?.memory || !resources.limits?.memory) {
        problems.push(`${where}: cpu/memory requests and a memory limit are not all set`);
      }
      for (const variable of container.env || []) {
        if (secretLikeName.test(variable.name) && variable.value !== undefined) {
          problems.push(`${where}: ${variable.name} is a literal, not from a Secret`);
        }
      }
    }
    if (!labels) problems.push(`${name}: pods have no labels`);
  }

  const secrets = secretValues(objects, values);
  const literals = [];
  for (const map of byKind('ConfigMap')) {
    for (const [key, value] of Object.entries(map.data || {})) literals.push([`ConfigMap/${map.metadata.name} ${key}`, value]);
  }
  for (const { name, spec } of podSpecs(objects)) {
    for (const container of spec.containers) {
      for (const variable of container.env || []) {
        if (variable.value !== undefined) literals.push([`${name} env ${variable.name}`, variable.value]);
      }
    }
  }
  for (const [where, value] of literals) {
    if (secrets.some((secret) => String(value).includes(secret))) problems.push(`${where}: holds a secret value`);
  }

  for (const workload of [...deployments, ...byKind('StatefulSet')]) {
    if (!matches(workload.spec.selector.matchLabels, workload.spec.template.metadata.labels)) {
      problems.push(`${workload.kind}/${workload.metadata.name}: selector does not match its pod labels`);
    }
  }
  const podLabels = podSpecs(objects).filter((p) => !p.name.startsWith('Pod/')).map((p) => p.labels);
  for (const service of byKind('Service')) {
    if (!podLabels.some((labels) => matches(service.spec.selector, labels))) {
      problems.push(`Service/${service.metadata.name}: selects no pods of the chart`);
    }
  }
  for (const hpa of byKind('HorizontalPodAutoscaler')) {
    const target = hpa.spec.scaleTargetRef;
    if (target.kind !== 'Deployment' || !deployments.some((d) => d.metadata.name === target.name)) {
      problems.push(`HorizontalPodAutoscaler/${hpa.metadata.name}: targets no Deployment of the chart`);
    }
    const deployment = deployments.find((d) => d.metadata.name === target.name);
    if (deployment && deployment.spec.replicas !== undefined) {
      problems.push(`Deployment/${deployment.metadata.name}: sets replicas although an HPA scales it`);
    }
  }
  for (const pdb of byKind('PodDisruptionBudget')) {
    if (!deployments.some((d) => matches(pdb.spec.selector.matchLabels, d.spec.template.metadata.labels))) {
      problems.push(`PodDisruptionBudget/${pdb.metadata.name}: selects no Deployment's pods`);
    }
  }
  return problems;
}
