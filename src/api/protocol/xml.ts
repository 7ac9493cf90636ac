// XML as the AWS query protocols (EC2, IAM, STS) write it: element per member, list items as
// `<item>` (EC2) or `<member>` (awsQuery), maps as `<entry><key/><value/></entry>`, timestamps in
// ISO 8601 to the second, undefined left out.

/** A map, written as `<entry><key>…</key><value>…</value></entry>` (awsQuery maps). */
export class XmlMap {
  readonly entries: ReadonlyArray<readonly [string, string]>;
  constructor(entries: Iterable<readonly [string, string]>) { this.entries = [...entries]; }
}

export type Xml = string | number | boolean | Date | undefined | XmlMap | readonly Xml[] | { readonly [name: string]: Xml };
export type XmlBody = { readonly [name: string]: Xml };

export const isoSeconds = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function escapeXml(text: string): string {
  return text.replace(/[&<>"'\u0000-\u001f\ud800-\udfff\ufffe\uffff]/gu, (c) => {
    switch (c) {
      case '&': return '&amp;';
      case '<': return '&lt;';
      case '>': return '&gt;';
      case '"': return '&quot;';
      case '\'': return '&apos;';
      case '\t': case '\n': case '\r': return `&#${c.charCodeAt(0)};`;
      // Characters XML 1.0 cannot carry at all (with the u flag only lone surrogates match).
      default: return '\ufffd';
    }
  });
}

/** Appends `value` as the element `name` to `out`; list items are named `listItem`. */
export function writeElement(name: string, value: Xml, out: string[], listItem: 'item' | 'member'): void {
  if (value === undefined) return;
  if (value instanceof XmlMap) {
    out.push(`<${name}>`);
    for (const [k, v] of value.entries) out.push(`<entry><key>${escapeXml(k)}</key><value>${escapeXml(v)}</value></entry>`);
    out.push(`</${name}>`);
  } else if (Array.isArray(value)) {
    if (value.length === 0) return void out.push(`<${name}/>`);
    out.push(`<${name}>`);
    for (const item of value as readonly Xml[]) writeElement(listItem, item, out, listItem);
    out.push(`</${name}>`);
  } else if (value instanceof Date) {
    out.push(`<${name}>${isoSeconds(value)}</${name}>`);
  } else if (typeof value === 'object') {
    out.push(`<${name}>`);
    for (const [k, v] of Object.entries(value as XmlBody)) writeElement(k, v, out, listItem);
    out.push(`</${name}>`);
  } else {
    out.push(`<${name}>${escapeXml(String(value))}</${name}>`);
  }
}
