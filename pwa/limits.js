// Limits the server enforces, known to the device so it can say so before saving (offline).
// The text lengths are the server schemas' (a test compares them: tests/api/
// test_field_app_limits.py); the photo size is the server's tus Tus-Max-Size, learned at
// each app start while online (meta "upload_max_bytes"), this default until then.

export const TEXT_LIMITS = Object.freeze({
  finding_title: 200, // server/findings/schemas.py
  finding_description: 5000,
  interview_summary: 5000, // server/visits/schemas.py
  visit_note: 2000,
  verification_report: 4000, // server/rectification/device_schemas.py
});

export const DEFAULT_UPLOAD_MAX_BYTES = 64 * 1024 * 1024; // the server's default UPLOAD_MAX_BYTES

/** Characters as the server counts them (code points, not UTF-16 units). */
export const textLength = (text) => [...text].length;
