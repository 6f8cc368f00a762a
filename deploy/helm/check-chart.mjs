// The chart's checks (deploy/README.md), run by the test command:
//   1. helm lint --strict and helm template with Helm 3 and Helm 4, for the
//      default values and every file in the chart's ci/ folder, at
//      Kubernetes 1.27 and 1.33;
//   2. every rendered object validated against the Kubernetes schemas, with
//      unknown fields rejected; every file in bad-values/ refused, with the
//      message its "# expect:" line names;
//   3. policy assertions on the rendered objects (policy.mjs).
//
//   node deploy/helm/check-chart.mjs
// Exit status 0 when everything holds; each failure is printed.

import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

import { validateObject } from './kube-schemas.mjs';
import { checkPolicy } from './policy.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const chart = path.join(here, 'todo-grpc');
const kubeVersions = ['1.27.0', '1.33.0'];
const valuesFiles = [
  null,
  ...readdirSync(path.join(chart, 'ci'))
    .filter((name) => name.endsWith('.yaml'))
    .map((name) => path.join(chart, 'ci', name)),
];
const badValuesFiles = readdirSync(path.join(here, 'bad-values'))
  .filter((name) => name.endsWith('.yaml'))
  .map((name) => path.join(here, 'bad-values', name));

const started = Date.now();
const failures = [];
let checks = 0;
function fail(message) {
  failures.push(message);
  console.log(`FAIL ${message}`);
}

function helm(binary, args) {
  return spawnSync(binary, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

for (const major of ['3', '4']) {
  const binary = execFileSync(path.join(here, 'fetch-helm.sh'), [major], { encoding: 'utf8' }).trim();
  const version = helm(binary, ['version', '--template', '{{.Version}}']).stdout;
  let rendered = 0;
  for (const values of valuesFiles) {
    const valuesArgs = values ? ['-f', values] : [];
    const label = `${version} ${values ? path.relative(chart, values) : 'default values'}`;
    const lint = helm(binary, ['lint', '--strict', chart, ...valuesArgs]);
    checks++;
    if (lint.status !== 0) fail(`${label}: helm lint --strict\n${lint.stdout}${lint.stderr}`);
    for (const kubeVersion of kubeVersions) {
      const template = helm(binary, [
        'template', 'todo', chart, '--namespace', 'todo', '--kube-version', kubeVersion, ...valuesArgs,
      ]);
      checks++;
      if (template.status !== 0) {
        fail(`${label} at ${kubeVersion}: helm template\n${template.stderr}`);
        continue;
      }
      const objects = YAML.parseAllDocuments(template.stdout)
        .map((document) => document.toJS())
        .filter(Boolean);
      for (const object of objects) {
        checks++;
        for (const problem of validateObject(object)) fail(`${label} at ${kubeVersion}: ${problem}`);
      }
      const valuesData = values ? YAML.parse(readFileSync(values, 'utf8')) : {};
      for (const problem of checkPolicy(objects, valuesData)) {
        fail(`${label} at ${kubeVersion}: ${problem}`);
      }
      checks++;
      rendered++;
    }
  }
  for (const values of badValuesFiles) {
    const expected = readFileSync(values, 'utf8').match(/^# expect: (.*)$/m)[1].split('|');
    const template = helm(binary, ['template', 'todo', chart, '-f', values]);
    const name = path.basename(values);
    checks++;
    if (template.status === 0) {
      fail(`${version} ${name}: accepted, expected a refusal`);
    } else if (!expected.some((text) => template.stderr.includes(text))) {
      fail(`${version} ${name}: refused without naming ${expected.join(' or ')}:\n${template.stderr}`);
    }
  }
  console.log(
    `${version}: lint and ${rendered} renderings validated; ${badValuesFiles.length} bad values files refused`,
  );
}

// The policy itself: each rule must catch its breach in a default rendering.
{
  const binary = execFileSync(path.join(here, 'fetch-helm.sh'), ['3'], { encoding: 'utf8' }).trim();
  const pristine = () =>
    YAML.parseAllDocuments(helm(binary, ['template', 'todo', chart]).stdout)
      .map((document) => document.toJS())
      .filter(Boolean);
  const deployment = (objects, name) =>
    objects.find((o) => o.kind === 'Deployment' && o.metadata.name.endsWith(`-${name}`));
  const breaches = {
    'readinessProbe asks': (objects) => {
      deployment(objects, 'tasks').spec.template.spec.containers[0].readinessProbe.grpc.service = 'liveness';
    },
    'may run as root': (objects) => {
      deployment(objects, 'chat').spec.template.spec.securityContext.runAsUser = 0;
    },
    'holds a secret value': (objects) => {
      const secret = objects.find((o) => o.kind === 'Secret');
      const map = objects.find((o) => o.kind === 'ConfigMap');
      map.data.LEAK = Buffer.from(secret.data.BETTER_AUTH_SECRET, 'base64').toString();
    },
    'is a literal, not from a Secret': (objects) => {
      deployment(objects, 'auth').spec.template.spec.containers[0].env.push({ name: 'OPENAI_API_KEY', value: 'x' });
    },
    'cpu/memory requests': (objects) => {
      delete deployment(objects, 'gateway').spec.template.spec.containers[0].resources.requests;
    },
    'targets no Deployment': (objects) => {
      objects.find((o) => o.kind === 'HorizontalPodAutoscaler').spec.scaleTargetRef.name = 'nothing';
    },
    'selects no pods': (objects) => {
      objects.find((o) => o.kind === 'Service').spec.selector['app.kubernetes.io/name'] = 'nothing';
    },
  };
  if (checkPolicy(pristine(), {}).length !== 0) fail('policy: the default rendering breaks it');
  for (const [expected, breach] of Object.entries(breaches)) {
    const objects = pristine();
    breach(objects);
    checks++;
    if (!checkPolicy(objects, {}).some((problem) => problem.includes(expected))) {
      fail(`policy: a breach went unnoticed (expected "${expected}")`);
    }
  }
  console.log(`policy: ${Object.keys(breaches).length} deliberate breaches caught`);
}

const seconds = ((Date.now() - started) / 1000).toFixed(1);
if (failures.length > 0) {
  console.log(`check-chart: ${failures.length} of ${checks} checks failed (${seconds} s)`);
  process.exit(1);
}
console.log(`check-chart: all ${checks} checks passed (${seconds} s)`);
