import { XMLParser, XMLValidator } from "fast-xml-parser";

/**
 * Reads a timeline picture back as data: a real XML parse (the file must be well-formed SVG), then
 * the step bars, the RTO line and the labels, so tests check what the picture shows rather than
 * that a file exists.
 */
export interface PictureStep {
  id: string;
  status: string;
  durationMs: number | undefined;
  label: string;
  durationText: string;
  bar: { x: number; width: number } | undefined;
}

export interface TimelinePicture {
  width: number;
  title: string;
  steps: PictureStep[];
  rtoLine: { x: number; rtoMs: number; offScale: boolean; label: string };
  budgetLabel: string;
  phases: string[];
  rtoPhases: Array<{ phase: string; ms: number }>;
}

type Node = Record<string, unknown>;

export function readTimelinePicture(svg: string): TimelinePicture {
  const valid = XMLValidator.validate(svg);
  if (valid !== true) throw new Error(`not well-formed SVG: ${valid.err.msg} at line ${valid.err.line}`);
  const doc = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: "@",
    isArray: (name) => ["g", "rect", "text", "line"].includes(name),
  }).parse(svg) as { svg: Node };
  const root = doc.svg;
  const list = (node: Node, name: string) => (node[name] as Node[] | undefined) ?? [];
  const text = (node: Node | undefined) =>
    node === undefined ? "" : typeof node === "string" ? node : String(node["#text"] ?? "");
  const byClass = (nodes: Node[], cls: string) => nodes.filter((n) => n["@class"] === cls);
  const steps = byClass(list(root, "g"), "step").map((g) => {
    const bar = byClass(list(g, "rect"), "bar")[0];
    const duration = g["@data-duration-ms"];
    return {
      id: String(g["@data-step-id"]),
      status: String(g["@data-status"]),
      durationMs: duration === undefined ? undefined : Number(duration),
      label: text(byClass(list(g, "text"), "step-label")[0]),
      durationText: text(byClass(list(g, "text"), "step-duration")[0]),
      bar: bar ? { x: Number(bar["@x"]), width: Number(bar["@width"]) } : undefined,
    };
  });
  const line = byClass(list(root, "line"), "rto-line")[0];
  if (!line) throw new Error("the picture has no RTO line");
  return {
    width: Number(root["@width"]),
    title: text(byClass(list(root, "text"), "title")[0]),
    steps,
    rtoLine: {
      x: Number(line["@x1"]),
      rtoMs: Number(line["@data-rto-ms"]),
      offScale: line["@data-off-scale"] === "true",
      label: text(byClass(list(root, "text"), "rto-label")[0]),
    },
    budgetLabel: text(byClass(list(root, "text"), "budget-label")[0]),
    phases: byClass(list(root, "g"), "phase").map((g) => String(g["@data-phase"])),
    rtoPhases: byClass(list(root, "rect"), "rto-phase").map((r) => ({
      phase: String(r["@data-phase"]),
      ms: Number(r["@data-ms"]),
    })),
  };
}
