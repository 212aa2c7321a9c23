import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ClusterName, TestClusters } from "./k8s-testenv.js";

/** The value of every seeded application's Secret: a test asserts it never appears in what drbot reads. */
export const SEEDED_SECRET_VALUE = "s3cr3t-never-shown-0451";

/**
 * One application in one namespace of a cluster, the way the readiness checks read it: a service
 * account bound to a Role, a ConfigMap and a Secret the Deployment's pods mount and read, a
 * CronJob (yearly, so it never starts a Job during a test). The serving site runs `replicas` with
 * the CronJob active; a standby runs 0 with it suspended.
 */
export async function seedReadinessApp(
  clusters: TestClusters,
  context: ClusterName,
  app: { name: string; namespace: string; serving: boolean },
): Promise<void> {
  const { name, namespace: ns } = app;
  const manifest = `
apiVersion: v1
kind: Namespace
metadata: {name: ${ns}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: ${name}, namespace: ${ns}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: ${name}-reader, namespace: ${ns}}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [get, list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ${name}-reader, namespace: ${ns}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ${name}-reader}
subjects: [{kind: ServiceAccount, name: ${name}, namespace: ${ns}}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ${name}-config, namespace: ${ns}}
data: {mode: live, ledger: "ledger.internal:5432"}
---
apiVersion: v1
kind: Secret
metadata: {name: ${name}-db, namespace: ${ns}}
stringData: {password: ${SEEDED_SECRET_VALUE}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}-api, namespace: ${ns}}
spec:
  replicas: ${app.serving ? 2 : 0}
  selector: {matchLabels: {app: ${name}-api}}
  template:
    metadata: {labels: {app: ${name}-api}}
    spec:
      serviceAccountName: ${name}
      nodeSelector: {kubernetes.io/os: linux}
      containers:
        - name: api
          image: registry.example/${name}:2.0
          env: [{name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: ${name}-db, key: password}}}]
          volumeMounts: [{name: config, mountPath: /etc/${name}}]
      volumes: [{name: config, configMap: {name: ${name}-config}}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: ${name}-settle, namespace: ${ns}}
spec:
  schedule: "0 0 1 1 *"
  suspend: ${!app.serving}
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          serviceAccountName: ${name}
          containers: [{name: settle, image: registry.example/${name}-settle:2.0}]
`;
  const file = join(clusters.dir, `readiness-${name}-${context}-${Date.now()}.yaml`);
  await writeFile(file, manifest);
  await clusters.kubectl(context, "apply", "-f", file);
}

/** A namespaced CRD `widgets.GROUP` serving v1, applied to a cluster. */
export async function applyWidgetCrd(
  clusters: TestClusters,
  context: ClusterName,
  group: string,
): Promise<void> {
  const file = join(clusters.dir, `crd-${group}-${context}-${Date.now()}.yaml`);
  await writeFile(
    file,
    `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.${group}}
spec:
  group: ${group}
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
    - name: v1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`,
  );
  await clusters.kubectl(context, "apply", "-f", file);
}
