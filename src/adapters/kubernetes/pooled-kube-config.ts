import { KubeConfig, type RequestContext } from "@kubernetes/client-node";

type Dispatcher = NonNullable<ReturnType<RequestContext["getDispatcher"]>>;

/** Each pool handed out: how many requests are on it now, and how to retire it. */
const pools = new WeakMap<Dispatcher, { inFlight: number; retired: boolean; retire: () => void }>();

/**
 * Counts a request on its pool until the returned function is called (when the request ended, by
 * an answer, an error or its deadline). A dispatcher this module did not hand out is not counted.
 */
export function holdPool(dispatcher: Dispatcher): () => void {
  const pool = pools.get(dispatcher);
  if (!pool) return () => undefined;
  pool.inFlight++;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    pool.inFlight--;
    if (pool.retired && pool.inFlight === 0) destroy(dispatcher);
  };
}

/**
 * Retires the pool a request went out on, when that request got no answer at all before its
 * deadline: the server accepted the connection and never answered (a hung API server). undici keeps
 * every request queued behind that connection and, at each connect timeout (10 s), connects again
 * for the next one, aborted or not, so without this a hung site would be called long after every
 * deadline, one request after another. The pool is dropped at once (the next request builds a new
 * one) and destroyed once no request is on it any more (each ends by its own deadline), so a request
 * still being answered on it, by a server that was only slow, is not cut short.
 */
export function retireHungPool(dispatcher: Dispatcher): void {
  const pool = pools.get(dispatcher);
  if (!pool || pool.retired) return;
  pool.retired = true;
  pool.retire();
  if (pool.inFlight === 0) destroy(dispatcher);
}

function destroy(dispatcher: Dispatcher): void {
  pools.delete(dispatcher);
  void dispatcher.destroy().catch(
    // Destroying fails only when the pool is already closed: its connections are gone either way.
    () => undefined,
  );
}

/**
 * A KubeConfig whose requests share one connection pool per cluster and credentials.
 *
 * client-node 2.0 builds a new undici Agent for every request, so every call opens a new TLS
 * connection and a new secure context: hundreds of parallel scale and rollout requests then cost a
 * handshake each and hundreds of megabytes of short-lived TLS state. Here the first Agent built for a
 * given server, CA and client certificate is kept and reused (keep-alive), and the ones built after
 * it are closed before they ever connect. Bearer tokens are headers, applied per request as before,
 * so a rotated token still takes effect; a changed certificate or CA gets a pool of its own.
 */
export class PooledKubeConfig extends KubeConfig {
  private readonly pools = new Map<string, Dispatcher>();

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const created = context.getDispatcher();
    if (!created) return;
    const key = this.poolKey();
    const pooled = this.pools.get(key);
    if (!pooled) {
      this.pools.set(key, created);
      pools.set(created, {
        inFlight: 0,
        retired: false,
        retire: () => {
          if (this.pools.get(key) === created) this.pools.delete(key);
        },
      });
      return;
    }
    context.setDispatcher(pooled);
    if (created !== pooled)
      void created.close().catch(
        // It never opened a connection: there is nothing it could fail to release.
        () => undefined,
      );
  }

  /** Closes every pooled connection (a site that is no longer used). */
  async closePools(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(
      pools.map((p) =>
        p.close().catch(
          // A pool that fails to close holds idle sockets the site no longer uses; nothing waits on them.
          () => undefined,
        ),
      ),
    );
  }

  private poolKey(): string {
    const cluster = this.getCurrentCluster();
    const user = this.getCurrentUser();
    return JSON.stringify([
      cluster?.server,
      cluster?.caData ?? cluster?.caFile,
      cluster?.skipTLSVerify,
      cluster?.tlsServerName,
      cluster?.proxyUrl,
      user?.certData ?? user?.certFile,
      user?.keyData ?? user?.keyFile,
    ]);
  }
}
