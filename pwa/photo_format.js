// What a photo file really is, from its first bytes (never its name or its declared
// type), by the same rules as the server (format_of in server/evidence/imaging/
// decoding.py): JPEG, PNG, WebP, or HEIF with an HEVC brand. Anything else would only be
// refused by the server after the upload, so the device refuses it at once.

export const HEAD_BYTES = 64;

const HEVC_BRANDS = new Set(["heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs"]);
const GENERIC_HEIF_BRANDS = new Set(["mif1", "msf1"]);
const MIME = { JPEG: "image/jpeg", PNG: "image/png", WEBP: "image/webp", HEIF: "image/heic" };

const ascii = (bytes, start, end) => String.fromCharCode(...bytes.subarray(start, end));
const startsWith = (bytes, prefix) => prefix.every((b, i) => bytes[i] === b);

/** "JPEG", "PNG", "WEBP", "HEIF" or null, from a file's first bytes (64 are enough). */
export function formatOf(head) {
  const b = head instanceof Uint8Array ? head : new Uint8Array(head);
  if (startsWith(b, [0xff, 0xd8, 0xff])) return "JPEG";
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "PNG";
  if (b.length >= 12 && ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WEBP") return "WEBP";
  if (b.length >= 12 && ascii(b, 4, 8) === "ftyp") {
    const box = ((b[0] << 24) >>> 0) + (b[1] << 16) + (b[2] << 8) + b[3];
    const major = ascii(b, 8, 12);
    const compatible = new Set();
    for (let i = 16; i < Math.min(box, b.length) - 3; i += 4) compatible.add(ascii(b, i, i + 4));
    if (HEVC_BRANDS.has(major) || (GENERIC_HEIF_BRANDS.has(major)
      && [...compatible].some((brand) => HEVC_BRANDS.has(brand)))) return "HEIF";
  }
  return null;
}

/** The MIME type of a file's content, or null when it is no photo the server takes. */
export async function sniffPhoto(file) {
  const head = new Uint8Array(await file.slice(0, HEAD_BYTES).arrayBuffer());
  const format = formatOf(head);
  return format ? MIME[format] : null;
}
