import type * as k8s from "@kubernetes/client-node";
import type { NodeRequirement, ObjectUse, WorkloadSpec } from "../../domain/readiness/site-objects.js";

/**
 * A pod template as the readiness checks compare it: containers and images, the ConfigMaps and
 * Secrets it names (by name only: volumes, projected volumes, env, envFrom, imagePullSecrets), its
 * service account and the node labels it selects. The only place that knows those field names.
 */
export function podTemplateSpec(
  kind: WorkloadSpec["kind"],
  metadata: k8s.V1ObjectMeta | undefined,
  spec: k8s.V1PodSpec | undefined,
  replicas: number | undefined,
): WorkloadSpec {
  const configMaps = new Uses();
  const secrets = new Uses();
  for (const v of spec?.volumes ?? []) {
    if (v.configMap?.name) configMaps.add(v.configMap.name, v.configMap.optional);
    if (v.secret?.secretName) secrets.add(v.secret.secretName, v.secret.optional);
    for (const s of v.projected?.sources ?? []) {
      if (s.configMap?.name) configMaps.add(s.configMap.name, s.configMap.optional);
      if (s.secret?.name) secrets.add(s.secret.name, s.secret.optional);
    }
  }
  const containers = [
    ...(spec?.initContainers ?? []).map((c) => ({ c, name: `init:${c.name}` })),
    ...(spec?.containers ?? []).map((c) => ({ c, name: c.name })),
  ];
  for (const { c } of containers) {
    for (const e of c.env ?? []) {
      const cm = e.valueFrom?.configMapKeyRef;
      if (cm?.name) configMaps.add(cm.name, cm.optional);
      const secret = e.valueFrom?.secretKeyRef;
      if (secret?.name) secrets.add(secret.name, secret.optional);
    }
    for (const e of c.envFrom ?? []) {
      if (e.configMapRef?.name) configMaps.add(e.configMapRef.name, e.configMapRef.optional);
      if (e.secretRef?.name) secrets.add(e.secretRef.name, e.secretRef.optional);
    }
  }
  for (const s of spec?.imagePullSecrets ?? []) if (s.name) secrets.add(s.name, false);
  const terms =
    spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  return {
    kind,
    namespace: metadata?.namespace ?? "",
    name: metadata?.name ?? "",
    ...(replicas !== undefined ? { replicas } : {}),
    containers: containers.map(({ c, name }) => ({ name, image: c.image ?? "" })),
    configMaps: configMaps.list(),
    secrets: secrets.list(),
    serviceAccount: spec?.serviceAccountName || "default",
    nodeSelector: spec?.nodeSelector ?? {},
    nodeAffinity: terms.map((t) =>
      (t.matchExpressions ?? []).map(
        (e): NodeRequirement => ({ key: e.key, operator: e.operator, values: e.values ?? [] }),
      ),
    ),
  };
}

/** References by name, optional only when every reference to the name is. */
class Uses {
  private readonly byName = new Map<string, boolean>();
  add(name: string, optional: boolean | undefined): void {
    this.byName.set(name, (this.byName.get(name) ?? true) && optional === true);
  }
  list(): ObjectUse[] {
    return [...this.byName].map(([name, optional]) => ({ name, optional }));
  }
}
