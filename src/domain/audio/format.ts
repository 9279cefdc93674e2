/**
 * What a voice note really is, told from its bytes (a provider's Content-Type is a claim, not a
 * fact), and how long it plays, read from the container's own headers without decoding.
 * Pure, no I/O. Uploads are untrusted: every read is bounds-checked and every loop advances, so
 * truncated or hostile bytes give null ("cannot tell"), never a throw or a hang (fuzzed in the tests).
 *
 * Allowed: Ogg (Opus or Vorbis), MP3 (MPEG Layer III), MP4/M4A, AAC in ADTS, AMR (NB and WB),
 * WAV. Refused on purpose: other Ogg codecs (Speex, FLAC, Theora video), MPEG Layer I/II,
 * 3GPP (`3gp*`), QuickTime, M4V and image brands (`heic`, `avif`), and any MP4 with a video track:
 * a video with a soundtrack is a video, not a voice note.
 */
export type AudioFormat = {
  mimeType: 'audio/ogg' | 'audio/mpeg' | 'audio/mp4' | 'audio/aac' | 'audio/amr' | 'audio/wav';
  extension: 'ogg' | 'mp3' | 'm4a' | 'aac' | 'amr' | 'wav';
  codec?: 'opus' | 'vorbis';
};

const OGG: AudioFormat = { mimeType: 'audio/ogg', extension: 'ogg' };
const MP3: AudioFormat = { mimeType: 'audio/mpeg', extension: 'mp3' };
const MP4: AudioFormat = { mimeType: 'audio/mp4', extension: 'm4a' };
const AAC: AudioFormat = { mimeType: 'audio/aac', extension: 'aac' };
const AMR: AudioFormat = { mimeType: 'audio/amr', extension: 'amr' };
const WAV: AudioFormat = { mimeType: 'audio/wav', extension: 'wav' };

const AMR_NB_MAGIC = '#!AMR\n';
const AMR_WB_MAGIC = '#!AMR-WB\n';
// Major brands of MP4 files that hold audio; generic ones (isom, mp42…) also pass the track check.
const AUDIO_MP4_BRANDS = new Set('M4A ,M4B ,mp41,mp42,isom,iso2,iso4,iso5,iso6,dash'.split(','));
/** Past this many frames an MP3/ADTS walk extrapolates the rest (CPU budget for a 100 MB file). */
const MAX_WALKED_FRAMES = 100_000;
const AMR_FRAME_SECONDS = 0.02;
// Bytes per stored frame, header included, by frame type (RFC 4867 §5.3; as in ffmpeg's amr.c).
const AMR_NB_FRAME_BYTES = [13, 14, 16, 18, 20, 21, 27, 32, 6, 1, 1, 1, 1, 1, 1, 1];
const AMR_WB_FRAME_BYTES = [18, 24, 33, 37, 41, 47, 51, 59, 61, 6, 1, 1, 1, 1, 1, 1];
const MPEG1_L3_KBPS = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const MPEG2_L3_KBPS = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
// By the header's version bits: 0 = MPEG-2.5, 2 = MPEG-2, 3 = MPEG-1 (1 is reserved).
const MPEG_SAMPLE_RATES: Record<number, number[]> = {
  0: [11025, 12000, 8000],
  2: [22050, 24000, 16000],
  3: [44100, 48000, 32000],
};
const ADTS_SAMPLE_RATES = [
  96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
];
const OPUS_GRANULE_RATE = 48_000;
/** Candidate pages checked from the end: a real stream's last page is the first; crafted ones cost CRCs. */
const MAX_OGG_PAGES_CHECKED = 64;

const hasAscii = (bytes: Buffer, offset: number, text: string): boolean =>
  offset >= 0 &&
  offset + text.length <= bytes.length &&
  bytes.toString('latin1', offset, offset + text.length) === text;

const byteAt = (bytes: Buffer, offset: number): number => bytes[offset] ?? 0;

export function detectAudioFormat(bytes: Buffer): AudioFormat | null {
  if (hasAscii(bytes, 0, 'OggS')) return detectOgg(bytes);
  if (hasAscii(bytes, 0, 'RIFF') && hasAscii(bytes, 8, 'WAVE')) return WAV;
  if (hasAscii(bytes, 0, AMR_NB_MAGIC) || hasAscii(bytes, 0, AMR_WB_MAGIC)) return AMR;
  if (hasAscii(bytes, 4, 'ftyp')) return detectMp4(bytes);
  const start = skipId3(bytes);
  if (isFrameStream(bytes, start, readMp3Frame)) return MP3;
  if (isFrameStream(bytes, start, readAdtsFrame)) return AAC;
  return null;
}

/** Seconds of audio by the container's headers or frames, or null when they do not tell. */
export function estimateAudioSeconds(bytes: Buffer, format: AudioFormat): number | null {
  const seconds = readSeconds(bytes, format);
  return seconds !== null && Number.isFinite(seconds) && seconds >= 0 ? seconds : null;
}

function readSeconds(bytes: Buffer, format: AudioFormat): number | null {
  switch (format.extension) {
    case 'wav':
      return wavSeconds(bytes);
    case 'ogg':
      return oggSeconds(bytes);
    case 'mp3':
      return walkFrames(bytes, skipId3(bytes), readMp3Frame);
    case 'aac':
      return walkFrames(bytes, skipId3(bytes), readAdtsFrame);
    case 'm4a':
      return mp4Seconds(bytes);
    case 'amr':
      return amrSeconds(bytes);
  }
}

// --- Ogg (RFC 3533; Opus mapping RFC 7845; Vorbis I spec §4.2) ---

type OggPage = { granule: bigint; serial: number; payload: number; end: number };

function readOggPage(bytes: Buffer, offset: number): OggPage | null {
  if (!hasAscii(bytes, offset, 'OggS') || offset + 27 > bytes.length || byteAt(bytes, offset + 4) !== 0) {
    return null;
  }
  const segments = byteAt(bytes, offset + 26);
  const payload = offset + 27 + segments;
  if (payload > bytes.length) return null;
  let size = 0;
  for (let i = 0; i < segments; i += 1) size += byteAt(bytes, offset + 27 + i);
  return {
    granule: bytes.readBigInt64LE(offset + 6),
    serial: bytes.readUInt32LE(offset + 14),
    payload,
    end: payload + size,
  };
}

function detectOgg(bytes: Buffer): AudioFormat | null {
  const first = readOggPage(bytes, 0);
  if (!first) return null;
  if (hasAscii(bytes, first.payload, 'OpusHead')) return { ...OGG, codec: 'opus' };
  if (hasAscii(bytes, first.payload, '\x01vorbis')) return { ...OGG, codec: 'vorbis' };
  return null;
}

function oggSeconds(bytes: Buffer): number | null {
  const first = readOggPage(bytes, 0);
  if (!first) return null;
  const isOpus = hasAscii(bytes, first.payload, 'OpusHead');
  const headerEnd = first.payload + (isOpus ? 12 : 16);
  if (headerEnd > first.end || headerEnd > bytes.length) return null;
  // Opus granules count 48 kHz samples from the start, pre-skip included; Vorbis ones count at the stream's rate.
  const skip = isOpus ? bytes.readUInt16LE(first.payload + 10) : 0;
  const rate = isOpus ? OPUS_GRANULE_RATE : bytes.readUInt32LE(first.payload + 12);
  const granule = lastGranule(bytes, first.serial);
  if (granule === null || rate === 0) return null;
  return Math.max(0, granule - skip) / rate;
}

/** The granule of the last whole page of the stream whose CRC checks (a truncated tail is skipped). */
function lastGranule(bytes: Buffer, serial: number): number | null {
  let at = bytes.lastIndexOf('OggS');
  for (let checked = 0; at >= 0 && checked < MAX_OGG_PAGES_CHECKED; checked += 1) {
    const page = readOggPage(bytes, at);
    // -1 marks a page on which no packet ends.
    if (page && page.serial === serial && page.granule >= 0n && page.end <= bytes.length) {
      if (oggCrc(bytes.subarray(at, page.end)) === bytes.readUInt32LE(at + 22)) {
        return page.granule <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(page.granule) : null;
      }
    }
    at = at > 0 ? bytes.lastIndexOf('OggS', at - 1) : -1;
  }
  return null;
}

const OGG_CRC_TABLE = Array.from({ length: 256 }, (_, index) => {
  let r = index << 24;
  for (let bit = 0; bit < 8; bit += 1) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
  return r >>> 0;
});

/** CRC-32 over the page with its CRC field (bytes 22–25) taken as zero: polynomial 0x04c11db7, no reflection. */
function oggCrc(page: Buffer): number {
  let crc = 0;
  for (let i = 0; i < page.length; i += 1) {
    const byte = i >= 22 && i < 26 ? 0 : byteAt(page, i);
    crc = ((crc << 8) ^ (OGG_CRC_TABLE[((crc >>> 24) ^ byte) & 0xff] ?? 0)) >>> 0;
  }
  return crc;
}

// --- MP3 and ADTS: streams of self-describing frames ---

type Frame = { length: number; seconds: number };
type FrameReader = (bytes: Buffer, offset: number) => Frame | null;

/** ID3v2 tags (and the zero padding some taggers leave after them) come before the first frame. */
function skipId3(bytes: Buffer): number {
  let offset = 0;
  while (hasAscii(bytes, offset, 'ID3') && offset + 10 <= bytes.length) {
    // Sizes are "syncsafe": 7 bits a byte. A footer (flag 0x10) adds 10 more bytes.
    let size = 0;
    for (let i = 6; i < 10; i += 1) size = (size << 7) | (byteAt(bytes, offset + i) & 0x7f);
    offset += 10 + size + (byteAt(bytes, offset + 5) & 0x10 ? 10 : 0);
  }
  while (offset > 0 && offset < bytes.length && bytes[offset] === 0) offset += 1;
  return offset;
}

function readMp3Frame(bytes: Buffer, offset: number): Frame | null {
  if (offset + 4 > bytes.length || bytes[offset] !== 0xff) return null;
  const b1 = byteAt(bytes, offset + 1);
  const b2 = byteAt(bytes, offset + 2);
  const version = (b1 >> 3) & 0x03;
  const isLayer3 = ((b1 >> 1) & 0x03) === 1;
  const sampleRate = MPEG_SAMPLE_RATES[version]?.[(b2 >> 2) & 0x03];
  const kbps = (version === 3 ? MPEG1_L3_KBPS : MPEG2_L3_KBPS)[b2 >> 4];
  // Free-format (bitrate index 0) frames carry no length: not supported.
  if ((b1 & 0xe0) !== 0xe0 || !isLayer3 || !sampleRate || !kbps) return null;
  const samples = version === 3 ? 1152 : 576;
  const length = Math.floor((samples / 8) * ((kbps * 1000) / sampleRate)) + ((b2 >> 1) & 0x01);
  return { length, seconds: samples / sampleRate };
}

function readAdtsFrame(bytes: Buffer, offset: number): Frame | null {
  // 12-bit sync 0xFFF and layer 00 (MPEG audio uses 01–11 there).
  if (offset + 7 > bytes.length || bytes[offset] !== 0xff || (byteAt(bytes, offset + 1) & 0xf6) !== 0xf0) {
    return null;
  }
  const sampleRate = ADTS_SAMPLE_RATES[(byteAt(bytes, offset + 2) >> 2) & 0x0f];
  const length =
    ((byteAt(bytes, offset + 3) & 0x03) << 11) |
    (byteAt(bytes, offset + 4) << 3) |
    (byteAt(bytes, offset + 5) >> 5);
  const headerLength = byteAt(bytes, offset + 1) & 0x01 ? 7 : 9;
  if (!sampleRate || length < headerLength) return null;
  const blocks = (byteAt(bytes, offset + 6) & 0x03) + 1;
  return { length, seconds: (blocks * 1024) / sampleRate };
}

/** One frame is chance; a frame that ends where the next begins (or where the bytes end) is a stream. */
function isFrameStream(bytes: Buffer, start: number, read: FrameReader): boolean {
  const frame = read(bytes, start);
  if (!frame) return false;
  const next = start + frame.length;
  return next === bytes.length || read(bytes, next) !== null;
}

/**
 * Sums frame durations. Past the walk budget, or after a truncated frame or lost sync (junk a
 * decoder would skip), the rest is counted at the average byte rate so far: over-counting junk
 * errs on the side of the duration limit. A trailing 128-byte ID3v1 tag is not audio.
 */
function walkFrames(bytes: Buffer, start: number, read: FrameReader): number | null {
  let offset = start;
  let seconds = 0;
  let frames = 0;
  let frame = read(bytes, offset);
  if (!frame) return null;
  while (frame && offset + frame.length <= bytes.length && frames < MAX_WALKED_FRAMES) {
    seconds += frame.seconds;
    offset += frame.length;
    frames += 1;
    frame = read(bytes, offset);
  }
  const isId3v1 = bytes.length - offset === 128 && hasAscii(bytes, offset, 'TAG');
  const rest = isId3v1 ? 0 : bytes.length - offset;
  if (rest === 0) return seconds;
  const first = read(bytes, start);
  const bytesPerSecond = frames > 0 ? (offset - start) / seconds : first ? first.length / first.seconds : 0;
  return bytesPerSecond > 0 ? seconds + rest / bytesPerSecond : null;
}

// --- MP4 (ISO/IEC 14496-12) ---

type Box = { type: string; body: number; end: number };

/** The boxes directly inside [start, end); a box claiming more than is there is cut at `end`. */
function* boxes(bytes: Buffer, start: number, end: number): Generator<Box> {
  let offset = start;
  while (offset + 8 <= end) {
    let size = bytes.readUInt32BE(offset);
    let header = 8;
    if (size === 1) {
      if (offset + 16 > end) return;
      const large = bytes.readBigUInt64BE(offset + 8);
      size = large > BigInt(Number.MAX_SAFE_INTEGER) ? end - offset : Number(large);
      header = 16;
    } else if (size === 0) {
      size = end - offset;
    }
    if (size < header) return;
    yield {
      type: bytes.toString('latin1', offset + 4, offset + 8),
      body: offset + header,
      end: Math.min(offset + size, end),
    };
    offset += size;
  }
}

function child(bytes: Buffer, parent: Box | undefined, type: string): Box | undefined {
  if (!parent) return undefined;
  for (const box of boxes(bytes, parent.body, parent.end)) if (box.type === type) return box;
  return undefined;
}

const root = (bytes: Buffer): Box => ({ type: 'file', body: 0, end: bytes.length });

function detectMp4(bytes: Buffer): AudioFormat | null {
  if (!AUDIO_MP4_BRANDS.has(bytes.toString('latin1', 8, 12))) return null;
  const moov = child(bytes, root(bytes), 'moov');
  if (!moov) return MP4;
  for (const trak of boxes(bytes, moov.body, moov.end)) {
    if (trak.type !== 'trak') continue;
    const hdlr = child(bytes, child(bytes, trak, 'mdia'), 'hdlr');
    // hdlr: version/flags (4), pre_defined (4), handler_type (4).
    if (hdlr && hasAscii(bytes, hdlr.body + 8, 'vide')) return null;
  }
  return MP4;
}

function mp4Seconds(bytes: Buffer): number | null {
  const mvhd = child(bytes, child(bytes, root(bytes), 'moov'), 'mvhd');
  if (!mvhd) return null;
  // Version 1 widens the creation/modification times and the duration to 64 bits.
  const isV1 = bytes[mvhd.body] === 1;
  const timescaleAt = mvhd.body + (isV1 ? 20 : 12);
  if (timescaleAt + (isV1 ? 12 : 8) > mvhd.end) return null;
  const timescale = bytes.readUInt32BE(timescaleAt);
  const duration = isV1
    ? bytes.readBigUInt64BE(timescaleAt + 4)
    : BigInt(bytes.readUInt32BE(timescaleAt + 4));
  // All ones means "unknown" (a fragmented or live file): so does 0.
  const unknown = isV1 ? 0xffffffffffffffffn : 0xffffffffn;
  if (timescale === 0 || duration === 0n || duration === unknown) return null;
  return Number(duration) / timescale;
}

// --- WAV and AMR ---

function wavSeconds(bytes: Buffer): number | null {
  let byteRate = 0;
  let dataBytes: number | null = null;
  let offset = 12;
  while (offset + 8 <= bytes.length && (byteRate === 0 || dataBytes === null)) {
    const id = bytes.toString('latin1', offset, offset + 4);
    const declared = bytes.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ' && body + 12 <= bytes.length) byteRate = bytes.readUInt32LE(body + 8);
    if (id === 'data') {
      // A streamed WAV leaves the size 0 or all ones; a header claiming more than was sent is not believed.
      const available = bytes.length - body;
      dataBytes = declared === 0 || declared === 0xffffffff ? available : Math.min(declared, available);
    }
    offset = body + declared + (declared % 2);
  }
  return byteRate > 0 && dataBytes !== null ? dataBytes / byteRate : null;
}

function amrSeconds(bytes: Buffer): number | null {
  const isWideband = hasAscii(bytes, 0, AMR_WB_MAGIC);
  if (!isWideband && !hasAscii(bytes, 0, AMR_NB_MAGIC)) return null;
  const sizes = isWideband ? AMR_WB_FRAME_BYTES : AMR_NB_FRAME_BYTES;
  let offset = isWideband ? AMR_WB_MAGIC.length : AMR_NB_MAGIC.length;
  let frames = 0;
  // Each frame starts with a header byte whose bits 6–3 are the frame type; every frame is 20 ms.
  for (;;) {
    const size = sizes[(byteAt(bytes, offset) >> 3) & 0x0f] ?? 1;
    if (offset + size > bytes.length) break;
    offset += size;
    frames += 1;
  }
  return frames * AMR_FRAME_SECONDS;
}
