import * as k8s from "@kubernetes/client-node";
import type { CronJobRef, CronJobState } from "../../domain/workloads.js";
import { SUSPENDED_BY_RUN_ANNOTATION } from "../../ports/site.js";

/** What the CronJob calls need of a site: its batch API and its deadline-bound request. */
export interface CronJobApi {
  batch: k8s.BatchV1Api;
  request<T>(what: string, send: (o: k8s.ConfigurationOptions) => Promise<T>): Promise<T>;
}

export async function listCronJobs(api: CronJobApi, namespace: string): Promise<CronJobState[]> {
  const list = await api.request(`list cronjobs in ${namespace}`, (o) =>
    api.batch.listNamespacedCronJob({ namespace }, o),
  );
  return list.items.map(cronJobState);
}

export async function readCronJob(api: CronJobApi, ref: CronJobRef): Promise<CronJobState> {
  const job = await api.request(`read ${cronJobText(ref)}`, (o) =>
    api.batch.readNamespacedCronJob({ name: ref.name, namespace: ref.namespace }, o),
  );
  return cronJobState(job);
}

/**
 * A merge patch of spec.suspend and drbot's mark of the run that suspended it (set with `runId`,
 * removed otherwise), in one write: nothing else of the CronJob is touched.
 */
export async function suspendCronJob(
  api: CronJobApi,
  ref: CronJobRef,
  suspend: boolean,
  runId?: string,
): Promise<void> {
  const mark = { [SUSPENDED_BY_RUN_ANNOTATION]: suspend && runId ? runId : null };
  const body = { metadata: { annotations: mark }, spec: { suspend } };
  const params = { name: ref.name, namespace: ref.namespace, body };
  await api.request(`${suspend ? "suspend" : "resume"} ${cronJobText(ref)}`, (o) =>
    api.batch.patchNamespacedCronJob(
      params,
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch, o),
    ),
  );
}

export function cronJobText(ref: CronJobRef): string {
  return `cronjob ${ref.namespace}/${ref.name}`;
}

/** A CronJob as plain data: the only place that knows its field names. */
export function cronJobState(job: k8s.V1CronJob): CronJobState {
  const last = job.status?.lastScheduleTime;
  const by = job.metadata?.annotations?.[SUSPENDED_BY_RUN_ANNOTATION];
  return {
    namespace: job.metadata?.namespace ?? "",
    name: job.metadata?.name ?? "",
    suspended: job.spec?.suspend ?? false,
    schedule: job.spec?.schedule ?? "",
    ...(last ? { lastScheduleAt: new Date(last).getTime() } : {}),
    active: job.status?.active?.length ?? 0,
    ...(by ? { suspendedByRun: by } : {}),
  };
}
