// Photos shrunk on the phone before upload (a rider's data plan), keeping the camera's EXIF (GPS and
// capture time, which the server checks against the claimed place) with Orientation reset to 1,
// because the canvas has already turned the pixels upright.
const SOI = 0xffd8;
const APP0 = 0xffe0;
const APP1 = 0xffe1;
const ORIENTATION = 0x0112;

// The EXIF APP1 segment (marker to end) of a JPEG, or null.
export function exifSegment(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.byteLength < 4 || view.getUint16(0) !== SOI) return null;
  let offset = 2;
  while (offset + 4 <= view.byteLength && view.getUint8(offset) === 0xff) {
    const marker = view.getUint16(offset);
    const length = view.getUint16(offset + 2);
    if (marker === 0xffda) return null; // image data starts: no EXIF before it
    if (marker === APP1 && offset + 10 <= view.byteLength && view.getUint32(offset + 4) === 0x45786966) {
      return bytes.slice(offset, offset + 2 + length); // "Exif"
    }
    offset += 2 + length;
  }
  return null;
}

// A copy of an APP1 segment with IFD0's Orientation set to 1 (when it has one).
export function withUprightOrientation(segment) {
  const copy = segment.slice();
  const view = new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
  const tiff = 10; // marker(2) length(2) "Exif\0\0"(6)
  const little = view.getUint16(tiff) === 0x4949;
  const ifd0 = tiff + view.getUint32(tiff + 4, little);
  if (ifd0 + 2 > view.byteLength) return copy;
  const count = view.getUint16(ifd0, little);
  for (let i = 0; i < count; i += 1) {
    const entry = ifd0 + 2 + i * 12;
    if (entry + 12 > view.byteLength) break;
    if (view.getUint16(entry, little) === ORIENTATION) view.setUint16(entry + 8, 1, little);
  }
  return copy;
}

// The JPEG with the segment inserted after its SOI (and JFIF APP0, where readers expect it).
export function insertSegment(jpeg, segment) {
  const view = new DataView(jpeg.buffer, jpeg.byteOffset, jpeg.byteLength);
  let at = 2;
  if (view.getUint16(2) === APP0) at = 4 + view.getUint16(4);
  const out = new Uint8Array(jpeg.byteLength + segment.byteLength);
  out.set(jpeg.subarray(0, at), 0);
  out.set(segment, at);
  out.set(jpeg.subarray(at), at + segment.byteLength);
  return out;
}

function readBytes(blob) {
  if (blob.arrayBuffer) return blob.arrayBuffer().then((buffer) => new Uint8Array(buffer));
  return new Promise((resolve, reject) => { // older WebViews have no Blob.arrayBuffer
    const reader = new FileReader();
    reader.onload = () => resolve(new Uint8Array(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsArrayBuffer(blob);
  });
}

function loadImage(blob) {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(blob);
    const image = new Image();
    image.onload = () => { URL.revokeObjectURL(url); resolve(image); };
    image.onerror = () => { URL.revokeObjectURL(url); reject(new Error('cannot decode')); };
    image.src = url; // the browser applies EXIF orientation when drawing (image-orientation: from-image)
  });
}

function canvasJpeg(canvas, quality) {
  return new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality));
}

// The photo to upload: at most `maxSide` pixels on its long side, JPEG, with the original EXIF;
// the original file itself when the browser cannot draw it (e.g. HEIC) or shrinking would not help.
export async function shrinkPhoto(file, { maxSide = 1600, quality = 0.82 } = {}) {
  let image;
  try { image = await loadImage(file); } catch (e) { return file; }
  const scale = Math.min(1, maxSide / Math.max(image.naturalWidth, image.naturalHeight));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(image.naturalWidth * scale);
  canvas.height = Math.round(image.naturalHeight * scale);
  canvas.getContext('2d').drawImage(image, 0, 0, canvas.width, canvas.height);
  const drawn = await canvasJpeg(canvas, quality);
  if (!drawn) return file;
  let bytes = await readBytes(drawn);
  const exif = exifSegment(await readBytes(file));
  if (exif) bytes = insertSegment(bytes, withUprightOrientation(exif));
  if (bytes.byteLength >= file.size) return file;
  const name = (file.name || 'photo').replace(/\.[^.]*$/, '') + '.jpg';
  return new File([bytes], name, { type: 'image/jpeg', lastModified: file.lastModified || Date.now() });
}

// The GPS position in an EXIF APP1 segment ({lat, lon} in WGS-84), or null: where the phone gives no
// location (no permission, or a page over plain http), the camera's own tag still says where.
export function exifPosition(segment) {
  const view = new DataView(segment.buffer, segment.byteOffset, segment.byteLength);
  const tiff = 10;
  const little = view.getUint16(tiff) === 0x4949;
  const entries = (ifd) => {
    const found = {};
    for (let i = 0, n = view.getUint16(ifd, little); i < n; i += 1) found[view.getUint16(ifd + 2 + i * 12, little)] = ifd + 2 + i * 12;
    return found;
  };
  try {
    const ifd0 = entries(tiff + view.getUint32(tiff + 4, little));
    if (!ifd0[0x8825]) return null;
    const gps = entries(tiff + view.getUint32(ifd0[0x8825] + 8, little));
    if (!(gps[1] && gps[2] && gps[3] && gps[4])) return null;
    const degrees = (tag) => {
      const at = tiff + view.getUint32(gps[tag] + 8, little);
      let value = 0;
      for (let k = 0; k < 3; k += 1) value += view.getUint32(at + k * 8, little) / view.getUint32(at + k * 8 + 4, little) / 60 ** k;
      return value;
    };
    const sign = (tag, negative) => (String.fromCharCode(view.getUint8(gps[tag] + 8)) === negative ? -1 : 1);
    const lat = sign(1, 'S') * degrees(2);
    const lon = sign(3, 'W') * degrees(4);
    const plausible = Number.isFinite(lat) && Number.isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180;
    return plausible && (lat || lon) ? { lat, lon } : null;
  } catch (error) {
    return null; // a truncated or odd segment: no position
  }
}

// The GPS position a photo file carries, or null.
export async function photoPosition(file) {
  try {
    const segment = exifSegment(await readBytes(file));
    return segment ? exifPosition(segment) : null;
  } catch (error) {
    return null;
  }
}
