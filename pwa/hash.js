// Digests with SubtleCrypto (needs a secure context: HTTPS or localhost), and base64 helpers.

function subtle() {
  if (!globalThis.crypto?.subtle) {
    throw new Error("浏览器不支持安全哈希(需通过 HTTPS 访问)");
  }
  return crypto.subtle;
}

export function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function base64FromBytes(buffer) {
  const bytes = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
  let binary = "";
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + step));
  }
  return btoa(binary);
}

export const base64Utf8 = (text) => base64FromBytes(new TextEncoder().encode(String(text)));

/** SHA-256 of the exact bytes, as lowercase hex (what the photo record carries). */
export async function sha256Hex(buffer) {
  return hex(await subtle().digest("SHA-256", buffer));
}

/** SHA-1 of a chunk, base64, for tus `Upload-Checksum: sha1 <base64>`. */
export async function sha1Base64(buffer) {
  return base64FromBytes(await subtle().digest("SHA-1", buffer));
}

export function uuid() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = hex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
