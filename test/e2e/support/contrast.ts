/**
 * Text contrast as a reader gets it, measured in the page: for every visible element under a
 * selector that holds text of its own, its computed text colour against the background it is drawn
 * on (its own and its ancestors' background colours, composed), as the WCAG 2 contrast ratio.
 */
import type { Page } from 'playwright-core';

/** WCAG 2 AA for body text. */
export const MIN_CONTRAST = 4.5;

export interface ContrastResult {
  /** Elements matched by the selector. */
  count: number;
  /** The lowest ratio of any text in them (Infinity when none has text). */
  min: number;
  /** Where that lowest ratio is. */
  worst: { text: string; color: string; background: string; ratio: number } | null;
}

export function contrastOf(page: Page, selector: string): Promise<ContrastResult> {
  return page.evaluate((sel: string) => {
    type Rgba = [number, number, number, number];
    const parse = (css: string): Rgba => {
      const n = css.match(/[\d.]+/g)?.map(Number) ?? [0, 0, 0, 0];
      return [n[0] ?? 0, n[1] ?? 0, n[2] ?? 0, n.length > 3 ? (n[3] ?? 1) : 1];
    };
    // `top` drawn over the opaque `bottom`.
    const over = (top: Rgba, bottom: Rgba): Rgba => [0, 1, 2].map(i => top[i]! * top[3] + bottom[i]! * (1 - top[3])).concat(1) as Rgba;
    const background = (el: Element | null): Rgba => {
      const layers: Rgba[] = [];
      for (let e = el; e; e = e.parentElement) {
        const c = parse(getComputedStyle(e).backgroundColor);
        if (c[3] > 0) {
          layers.push(c);
          if (c[3] >= 1) {
            break;
          }
        }
      }
      // Below everything: the canvas (white).
      return layers.reduceRight<Rgba>((below, layer) => over(layer, below), [255, 255, 255, 1]);
    };
    const luminance = (c: Rgba): number => {
      const [r, g, b] = [c[0], c[1], c[2]].map(v => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    const ratio = (a: Rgba, b: Rgba): number => {
      const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
      return (hi! + 0.05) / (lo! + 0.05);
    };
    const roots = Array.from(document.querySelectorAll(sel));
    let min = Infinity;
    let worst: { text: string; color: string; background: string; ratio: number } | null = null;
    for (const root of roots) {
      for (const el of [root, ...Array.from(root.querySelectorAll('*'))]) {
        const own = Array.from(el.childNodes).filter(n => n.nodeType === Node.TEXT_NODE).map(n => n.textContent ?? '').join('').trim();
        const style = getComputedStyle(el);
        if (!own || el.getClientRects().length === 0 || style.visibility === 'hidden' || Number(style.opacity) === 0) {
          continue;
        }
        const bg = background(el);
        const fg = over(parse(style.color), bg);
        const r = ratio(fg, bg);
        if (r < min) {
          min = r;
          worst = { text: own.slice(0, 60), color: style.color, background: `rgb(${bg.slice(0, 3).map(Math.round).join(', ')})`, ratio: Math.round(r * 100) / 100 };
        }
      }
    }
    return { count: roots.length, min: Math.round(min * 100) / 100, worst };
  }, selector);
}

/** Relative luminance (0 black … 1 white) of the background `selector`'s first match is drawn on. */
export function backgroundLuminanceOf(page: Page, selector: string): Promise<number> {
  return page.evaluate((sel: string) => {
    let rgb = [255, 255, 255];
    for (let e = document.querySelector(sel); e; e = e.parentElement) {
      const n = getComputedStyle(e).backgroundColor.match(/[\d.]+/g)?.map(Number) ?? [];
      if (n.length >= 3 && (n.length < 4 || n[3]! >= 1)) {
        rgb = n.slice(0, 3);
        break;
      }
    }
    const [r, g, b] = rgb.map(v => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  }, selector);
}
