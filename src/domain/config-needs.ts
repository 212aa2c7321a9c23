import type { Config, DataSourceConfig } from "./config.js";
import type { ConfigNeed } from "./plan.js";

/**
 * The checks step kinds use to say what they need from the configuration (StepKind.checkConfig).
 * Pure and offline: `drbot validate` runs them in CI with no cluster or Redis, and a request is
 * refused with the same words before anyone approves a plan that would fail halfway.
 */

/** A data source of this name and kind must be configured; `path` is where the step names it. */
export function needDataSource(
  config: Config,
  name: string,
  kind: DataSourceConfig["kind"],
  path: (string | number)[],
): ConfigNeed[] {
  const source = config.dataSources.find((d) => d.name === name);
  const ofKind = config.dataSources.filter((d) => d.kind === kind).map((d) => d.name);
  const known =
    ofKind.length > 0 ? `; configured ${kind} sources: ${ofKind.join(", ")}` : `; none is configured`;
  if (!source)
    return [
      { path, message: `needs the ${kind} data source "${name}", which dataSources does not have${known}` },
    ];
  if (source.kind !== kind)
    return [
      {
        path,
        message: `needs a data source of kind ${kind}, but "${name}" is of kind ${source.kind}${known}`,
      },
    ];
  return [];
}

/** Every name must be a data source of this kind (the step acts only on those). */
export function needDataSources(
  config: Config,
  names: readonly string[],
  kind: DataSourceConfig["kind"],
  path: (string | number)[],
): ConfigNeed[] {
  return names.flatMap((name, i) => needDataSource(config, name, kind, [...path, i]));
}

/** Every name must be a configured data source, whatever its kind. */
export function needAnyDataSources(
  config: Config,
  names: readonly string[],
  path: (string | number)[],
): ConfigNeed[] {
  const known = config.dataSources.map((d) => d.name);
  return names.flatMap((name, i) =>
    known.includes(name)
      ? []
      : [
          {
            path: [...path, i],
            message: `names the data source "${name}", which dataSources does not have; configured: ${known.join(", ") || "none"}`,
          },
        ],
  );
}
