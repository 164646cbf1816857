/**
 * A tiny DOM builder: the extension uses plain Lumino widgets and DOM, no React.
 */

/** Attributes and properties for {@link h}; `className`, `title`, `text` are common shortcuts. */
export interface IElementOptions {
  className?: string;
  title?: string;
  text?: string;
  attrs?: Record<string, string>;
}

/** Creates an element with options and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: IElementOptions = {},
  ...children: (Node | string | null | undefined | false)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (options.className) {
    el.className = options.className;
  }
  if (options.title) {
    el.title = options.title;
  }
  if (options.text !== undefined) {
    el.textContent = options.text;
  }
  for (const [k, v] of Object.entries(options.attrs ?? {})) {
    el.setAttribute(k, v);
  }
  for (const child of children) {
    if (child) {
      el.append(child);
    }
  }
  return el;
}

/** Replaces an element's children. */
export function replaceChildren(el: Element, ...children: (Node | string | null | undefined | false)[]): void {
  el.replaceChildren(...children.filter((c): c is Node | string => !!c));
}
