/**
 * `work`'s answer, or `fallback` once `ms` have passed without one: for reads that must answer
 * people in time (status, the approval card) whatever a site or a data source does. The work is not
 * cancelled; whoever started it bounds it with its own deadline.
 */
export function answerWithin<T>(work: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
