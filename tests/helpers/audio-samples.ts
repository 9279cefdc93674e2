/**
 * Real, small audio files built in code, for the format checks and the voice-note tests: each
 * decodes as silence (or a tone, for WAV) with a standard decoder and plays for the asked
 * duration. Long durations cost bytes in every format but MP4, whose `mvhd` states the
 * duration whatever `mdat` holds: use `m4aSample` for a cheap "too long" note.
 * The liars at the end are not audio whatever their sender claims.
 */

// --- WAV: RIFF/WAVE, PCM 16-bit mono ---

export function wavSample(seconds: number, { sampleRate = 8000, frequencyHz = 440 } = {}): Buffer {
  const samples = Math.round(seconds * sampleRate);
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i += 1) {
    data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * frequencyHz * i) / sampleRate)), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28); // byte rate
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

// --- Ogg Opus (RFC 3533, RFC 7845) ---

const OGG_SERIAL = 0x5eed;
const OPUS_PACKETS_PER_PAGE = 50;
// One 20 ms CELT fullband mono frame of silence: TOC 0xF8 (config 31, code 0), then 0xFF 0xFE.
const OPUS_SILENT_PACKET = Buffer.from([0xf8, 0xff, 0xfe]);

/** Bitwise CRC-32 of an Ogg page (polynomial 0x04c11db7, MSB first, no reflection, no final xor). */
function oggPageCrc(page: Buffer): number {
  let crc = 0;
  for (const byte of page) {
    crc ^= byte << 24;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  }
  return crc >>> 0;
}

type OggPageInput = { packets: Buffer[]; granule: bigint; sequence: number; flags: number };

/** A page of whole packets (each under 64 KB); the CRC is computed with its field zeroed, then set. */
export function oggPage({ packets, granule, sequence, flags }: OggPageInput, serial = OGG_SERIAL): Buffer {
  const lacing = packets.flatMap((packet) => [
    ...Array<number>(Math.floor(packet.length / 255)).fill(255),
    packet.length % 255,
  ]);
  const header = Buffer.alloc(27);
  header.write('OggS', 0, 'latin1');
  header.writeUInt8(0, 4);
  header.writeUInt8(flags, 5);
  header.writeBigInt64LE(granule, 6);
  header.writeUInt32LE(serial, 14);
  header.writeUInt32LE(sequence, 18);
  header.writeUInt8(lacing.length, 26);
  const page = Buffer.concat([header, Buffer.from(lacing), ...packets]);
  page.writeUInt32LE(oggPageCrc(page), 22);
  return page;
}

export function oggOpusSample(seconds: number, { preSkip = 312 } = {}): Buffer {
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'latin1');
  head.writeUInt8(1, 8); // version
  head.writeUInt8(1, 9); // channels
  head.writeUInt16LE(preSkip, 10);
  head.writeUInt32LE(48_000, 12); // input sample rate, informational
  const vendor = Buffer.from('seleto-tests', 'latin1');
  const tags = Buffer.alloc(16 + vendor.length);
  tags.write('OpusTags', 0, 'latin1');
  tags.writeUInt32LE(vendor.length, 8);
  vendor.copy(tags, 12);

  const pages = [
    oggPage({ packets: [head], granule: 0n, sequence: 0, flags: 0x02 }),
    oggPage({ packets: [tags], granule: 0n, sequence: 1, flags: 0 }),
  ];
  const totalPackets = Math.max(1, Math.ceil(seconds * 50));
  for (let sent = 0; sent < totalPackets; sent += OPUS_PACKETS_PER_PAGE) {
    const count = Math.min(OPUS_PACKETS_PER_PAGE, totalPackets - sent);
    const isLast = sent + count === totalPackets;
    // The last granule trims the final frame to the exact duration (RFC 7845 §4.5).
    const samples = isLast ? Math.round(seconds * 48_000) : (sent + count) * 960;
    pages.push(
      oggPage({
        packets: Array<Buffer>(count).fill(OPUS_SILENT_PACKET),
        granule: BigInt(preSkip + samples),
        sequence: pages.length,
        flags: isLast ? 0x04 : 0,
      }),
    );
  }
  return Buffer.concat(pages);
}

// --- MP3: MPEG-1 Layer III, 128 kbps, 44.1 kHz, CBR ---

const MP3_FRAME_SECONDS = 1152 / 44_100;
const MP3_FRAME_BYTES = (144 * 128_000) / 44_100; // 417.96: the padding bit makes up the fraction

/** Frames with all-zero side information and main data: a decoder plays them as silence. */
export function mp3Sample(seconds: number, { id3 = false } = {}): Buffer {
  const frames = Math.max(1, Math.round(seconds / MP3_FRAME_SECONDS));
  const parts: Buffer[] = [];
  if (id3) {
    // An empty ID3v2.4 tag with 16 bytes of padding (syncsafe size 16).
    parts.push(Buffer.concat([Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x10', 'latin1'), Buffer.alloc(16)]));
  }
  for (let i = 0; i < frames; i += 1) {
    const length = Math.floor((i + 1) * MP3_FRAME_BYTES) - Math.floor(i * MP3_FRAME_BYTES);
    const isPadded = length > Math.floor(MP3_FRAME_BYTES);
    const frame = Buffer.alloc(length);
    // Sync, MPEG-1, Layer III, no CRC | 128 kbps, 44.1 kHz, padding | mono.
    frame.set([0xff, 0xfb, isPadded ? 0x92 : 0x90, 0xc0]);
    parts.push(frame);
  }
  return Buffer.concat(parts);
}

// --- AAC in ADTS, LC mono ---

const ADTS_SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000];
// A silent single-channel raw data block, as ffmpeg's AAC encoder writes it for digital silence.
const AAC_SILENT_BLOCK = Buffer.from([0x01, 0x18, 0x20, 0x07]);

export function aacAdtsSample(seconds: number, { sampleRate = 16_000 } = {}): Buffer {
  const rateIndex = ADTS_SAMPLE_RATES.indexOf(sampleRate);
  if (rateIndex < 0) throw new Error(`ADTS has no sampling index for ${sampleRate} Hz`);
  const frames = Math.max(1, Math.round((seconds * sampleRate) / 1024));
  const length = 7 + AAC_SILENT_BLOCK.length;
  const header = Buffer.from([
    0xff,
    0xf1, // sync, MPEG-4, layer 00, no CRC
    (1 << 6) | (rateIndex << 2), // profile LC, sampling index, channel config high bit 0
    (1 << 6) | (length >> 11), // channel config 1 (mono), frame length bits 12–11
    (length >> 3) & 0xff,
    ((length & 0x07) << 5) | 0x1f, // buffer fullness 0x7FF: VBR
    0xfc, // one raw data block
  ]);
  const frame = Buffer.concat([header, AAC_SILENT_BLOCK]);
  return Buffer.concat(Array<Buffer>(frames).fill(frame));
}

// --- AMR (RFC 4867 §5 storage format) ---

/** 12.2 kbps (mode 7) narrowband or 23.85 kbps (mode 8) wideband frames of zeros, 20 ms each. */
export function amrSample(seconds: number, { wideband = false } = {}): Buffer {
  const frames = Math.max(1, Math.round(seconds / 0.02));
  const frame = Buffer.alloc(wideband ? 61 : 32);
  frame[0] = ((wideband ? 8 : 7) << 3) | 0x04; // frame type, quality bit
  const magic = Buffer.from(wideband ? '#!AMR-WB\n' : '#!AMR\n', 'latin1');
  return Buffer.concat([magic, ...Array<Buffer>(frames).fill(frame)]);
}

// --- MP4 / M4A (ISO/IEC 14496-12) ---

function box(type: string, ...children: Buffer[]): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(8 + children.reduce((sum, c) => sum + c.length, 0), 0);
  header.write(type, 4, 'latin1');
  return Buffer.concat([header, ...children]);
}

function mvhd(seconds: number, timescale: number, version: 0 | 1): Buffer {
  const duration = BigInt(Math.round(seconds * timescale));
  const times = Buffer.alloc(version === 1 ? 28 : 16);
  if (version === 1) {
    times.writeUInt32BE(timescale, 16);
    times.writeBigUInt64BE(duration, 20);
  } else {
    times.writeUInt32BE(timescale, 8);
    times.writeUInt32BE(Number(duration), 12);
  }
  const rest = Buffer.alloc(80); // rate, volume, reserved, matrix, pre_defined, next_track_ID
  rest.writeUInt32BE(0x00010000, 0);
  rest.writeUInt16BE(0x0100, 4);
  rest.writeUInt32BE(2, 76);
  return box('mvhd', Buffer.from([version, 0, 0, 0]), times, rest);
}

function track(handler: 'soun' | 'vide'): Buffer {
  const hdlr = Buffer.alloc(25); // version/flags, pre_defined, handler_type, reserved ×3, empty name
  hdlr.write(handler, 8, 'latin1');
  return box('trak', box('mdia', box('hdlr', hdlr)));
}

export type Mp4Options = {
  brand?: string;
  version?: 0 | 1;
  timescale?: number;
  tracks?: Array<'soun' | 'vide'>;
};

/**
 * ftyp + moov (mvhd stating the duration, one minimal track per handler) + an empty mdat. Only
 * the headers are real: enough for anything that reads the container, not for a decoder.
 */
export function m4aSample(
  seconds: number,
  { brand = 'M4A ', version = 0, timescale = 44_100, tracks = ['soun'] }: Mp4Options = {},
): Buffer {
  const ftyp = box('ftyp', Buffer.from(`${brand}\0\0\0\0${brand}mp42isom`, 'latin1'));
  const moov = box('moov', mvhd(seconds, timescale, version), ...tracks.map(track));
  return Buffer.concat([ftyp, moov, box('mdat')]);
}

// --- Liars: bytes a provider may label audio/ogg that are not allowed audio ---

/** A 1×1 PNG. */
export const pngBytes = (): Buffer =>
  Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
    'base64',
  );

export const htmlBytes = (): Buffer =>
  Buffer.from('<!DOCTYPE html><html><body><h1>404 Not Found</h1></body></html>\n', 'utf8');

/** An MP4 video with a soundtrack: `isom` brand, a video and a sound track. */
export const mp4VideoSample = (seconds = 2): Buffer =>
  m4aSample(seconds, { brand: 'isom', tracks: ['vide', 'soun'] });

/** A well-formed Ogg page whose only packet is an MP4 file: Ogg on the outside, no audio codec inside. */
export const fakeOggWithMp4Inside = (): Buffer =>
  oggPage({ packets: [mp4VideoSample()], granule: 0n, sequence: 0, flags: 0x02 });
