import { KubeConfig, type RequestContext } from "@kubernetes/client-node";

type Dispatcher = NonNullable<ReturnType<RequestContext["getDispatcher"]>>;

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
