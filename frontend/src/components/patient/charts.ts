/**
 * Chart.js, registered with only what the patient charts use (tree-shaken), and the plugin
 * that shades the NEWS2 bands behind the score line. Bands are painted on the canvas from the
 * `bands` of the series response, in the colours of styles.css (--band-*): no DOM, no inline
 * styles; the band's name is written in the band too, so colour is never the only cue.
 */
import { Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip, type Plugin } from "chart.js";

import type { News2Band } from "@/api/admissions";

Chart.register(LineController, LineElement, PointElement, LinearScale, Tooltip, Legend);

export interface BandShadingOptions {
  bands?: readonly News2Band[];
  /** Band name → display text ("Low", "Medium"...). */
  labels?: Record<string, string>;
}

const FALLBACK: Record<string, [string, string]> = {
  low: ["#e7f6ec", "#05603a"],
  "low-medium": ["#fef7c3", "#713b12"],
  medium: ["#fdead7", "#93370d"],
  high: ["#fee4e2", "#912018"],
};

function cssColour(name: string, fallback: string): string {
  if (typeof document === "undefined") return fallback;
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

export const news2BandsPlugin: Plugin<"line", BandShadingOptions> = {
  id: "news2Bands",
  beforeDraw(chart, _args, options) {
    const bands = options.bands ?? [];
    const y = chart.scales.y;
    if (!bands.length || !y) return;
    const { ctx, chartArea } = chart;
    ctx.save();
    for (const band of bands) {
      // Scores are whole numbers: a band covers min−½ … max+½, so each boundary lies between two scores.
      const top = band.max === null ? chartArea.top : Math.max(chartArea.top, y.getPixelForValue(band.max + 0.5));
      const bottom = Math.min(chartArea.bottom, y.getPixelForValue(band.min - 0.5));
      if (bottom <= top) continue;
      const [fill, ink] = FALLBACK[band.band] ?? ["#f2f4f7", "#344054"];
      ctx.fillStyle = cssColour(`--band-${band.band}`, fill);
      ctx.fillRect(chartArea.left, top, chartArea.right - chartArea.left, bottom - top);
      const label = options.labels?.[band.band];
      if (label && bottom - top >= 14) {
        // Top left of the band, on a chip of the band's colour, so a line crossing it stays readable.
        ctx.font = "600 11px system-ui, sans-serif";
        ctx.textAlign = "left";
        ctx.textBaseline = "top";
        const width = ctx.measureText(label).width;
        ctx.fillStyle = cssColour(`--band-${band.band}`, fill);
        ctx.globalAlpha = 0.85;
        ctx.fillRect(chartArea.left + 2, top + 1, width + 6, 14);
        ctx.globalAlpha = 1;
        ctx.fillStyle = cssColour(`--band-${band.band}-ink`, ink);
        ctx.fillText(label, chartArea.left + 5, top + 2);
      }
    }
    ctx.restore();
  },
};

/** Line colours: distinct in hue and, for a second line, in dash and point shape too. */
export const LINE_STYLES = [
  { color: "#0b6e99", dash: [] as number[], point: "circle" as const },
  { color: "#b54708", dash: [6, 4], point: "triangle" as const },
  { color: "#6941c6", dash: [2, 3], point: "rectRot" as const },
];
