import type { ClusterName, TestClusters } from "./k8s-testenv.js";
import { FakeLonghorn } from "./longhorn-controller.js";
import { installLonghornCrds } from "./longhorn-crds.js";
import { installVeleroCrds } from "./velero-crds.js";
import { VeleroTestController } from "./velero-test-controller.js";

/**
 * Velero on one test cluster, empty: its CRDs, the velero namespace (emptied: the clusters are
 * shared by the test files in turn), the test controller playing its server (started; stop it
 * after the tests) and the "default" storage location.
 */
export async function startVelero(
  clusters: TestClusters,
  context: ClusterName,
): Promise<VeleroTestController> {
  await installVeleroCrds(clusters, context);
  await clusters.ensureNamespace(context, "velero");
  const velero = new VeleroTestController(clusters.kubeconfigPath, context, "velero");
  await velero.reset();
  velero.start();
  try {
    await velero.putStorageLocation("default");
  } catch (error) {
    await velero.stop(); // the caller never gets it to stop
    throw error;
  }
  return velero;
}

/**
 * Longhorn on one test cluster, empty: the longhorn-system namespace (emptied: the clusters are
 * shared by the test files in turn), its CRDs, the stand-in for longhorn-manager (started; stop it
 * after the tests) and the "default" backup target, available.
 */
export async function startLonghorn(clusters: TestClusters, context: ClusterName): Promise<FakeLonghorn> {
  await clusters.ensureNamespace(context, "longhorn-system");
  await installLonghornCrds(clusters, context);
  const longhorn = new FakeLonghorn(clusters.kubeconfigPath, context);
  await longhorn.reset();
  longhorn.start();
  try {
    await longhorn.backupTarget("default", true);
  } catch (error) {
    longhorn.stop(); // the caller never gets it to stop
    throw error;
  }
  return longhorn;
}
