import { describe, expect, it } from 'vitest';
import {
  aacAdtsSample,
  amrSample,
  fakeOggWithMp4Inside,
  htmlBytes,
  m4aSample,
  mp3Sample,
  mp4VideoSample,
  oggOpusSample,
  oggPage,
  pngBytes,
  wavSample,
} from '../../../tests/helpers/audio-samples.js';
import { seededRandom } from '../../../tests/helpers/seeded-random.js';
import { type AudioFormat, detectAudioFormat, estimateAudioSeconds } from './format.js';

/** Ogg Vorbis headers only as far as the estimate reads them: identification header, then a last page. */
function oggVorbisSample(seconds: number, sampleRate = 44_100): Buffer {
  const ident = Buffer.alloc(30);
  ident.write('\x01vorbis', 0, 'latin1');
  ident.writeUInt8(1, 11); // channels
  ident.writeUInt32LE(sampleRate, 12);
  ident.writeUInt8(0xb8, 28); // block sizes 256/2048
  ident.writeUInt8(1, 29); // framing bit
  return Buffer.concat([
    oggPage({ packets: [ident], granule: 0n, sequence: 0, flags: 0x02 }),
    oggPage({ packets: [Buffer.alloc(8)], granule: BigInt(seconds * sampleRate), sequence: 1, flags: 0x04 }),
  ]);
}

const detected = (bytes: Buffer): AudioFormat => {
  const format = detectAudioFormat(bytes);
  if (!format) throw new Error('expected an audio format');
  return format;
};

const secondsOf = (bytes: Buffer) => estimateAudioSeconds(bytes, detected(bytes));

const SAMPLES: Array<[string, (seconds: number) => Buffer, AudioFormat]> = [
  ['WAV', (s) => wavSample(s), { mimeType: 'audio/wav', extension: 'wav' }],
  ['Ogg Opus', (s) => oggOpusSample(s), { mimeType: 'audio/ogg', extension: 'ogg', codec: 'opus' }],
  ['Ogg Vorbis', (s) => oggVorbisSample(s), { mimeType: 'audio/ogg', extension: 'ogg', codec: 'vorbis' }],
  ['MP3', (s) => mp3Sample(s), { mimeType: 'audio/mpeg', extension: 'mp3' }],
  ['MP3 with an ID3 tag', (s) => mp3Sample(s, { id3: true }), { mimeType: 'audio/mpeg', extension: 'mp3' }],
  ['M4A', (s) => m4aSample(s), { mimeType: 'audio/mp4', extension: 'm4a' }],
  ['M4A (mvhd v1)', (s) => m4aSample(s, { version: 1 }), { mimeType: 'audio/mp4', extension: 'm4a' }],
  ['AAC in ADTS', (s) => aacAdtsSample(s), { mimeType: 'audio/aac', extension: 'aac' }],
  ['AMR', (s) => amrSample(s), { mimeType: 'audio/amr', extension: 'amr' }],
  ['AMR-WB', (s) => amrSample(s, { wideband: true }), { mimeType: 'audio/amr', extension: 'amr' }],
];

describe('detectAudioFormat', () => {
  it.each(SAMPLES)('recognises %s from its bytes', (_name, build, format) => {
    expect(detectAudioFormat(build(2))).toEqual(format);
  });

  it.each([
    ['a PNG image', pngBytes()],
    ['an HTML error page', htmlBytes()],
    ['plain text', Buffer.from('Olá, quero um orçamento de uma rotuladora.')],
    ['an empty buffer', Buffer.alloc(0)],
    ['an MP4 video with a soundtrack', mp4VideoSample()],
    ['an M4V video brand', m4aSample(2, { brand: 'M4V ', tracks: ['soun'] })],
    ['a 3GPP container', m4aSample(2, { brand: '3gp4' })],
    ['a HEIC image', m4aSample(0, { brand: 'heic', tracks: [] })],
    ['an Ogg page wrapping an MP4 file', fakeOggWithMp4Inside()],
    ['an ID3 tag with nothing after it', Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x00', 'latin1')],
    ['a lone MPEG sync word', Buffer.from([0xff, 0xfb, 0x90, 0xc0, 1, 2, 3])],
  ])('rejects %s', (_name, bytes) => {
    expect(detectAudioFormat(bytes)).toBeNull();
  });
});

describe('estimateAudioSeconds', () => {
  it.each(SAMPLES.flatMap(([name, build]) => [1, 30].map((seconds) => [name, build, seconds] as const)))(
    'reads %s of %i s within 10%',
    (_name, build, seconds) => {
      const estimate = secondsOf(build(seconds));
      expect(estimate).not.toBeNull();
      expect(Math.abs((estimate ?? 0) - seconds) / seconds).toBeLessThanOrEqual(0.1);
    },
  );

  it.each([
    ['WAV', wavSample(3), 3],
    ['Ogg Opus', oggOpusSample(3.3), 3.3],
    ['Ogg Vorbis', oggVorbisSample(3), 3],
    ['AMR', amrSample(3), 3],
    ['M4A', m4aSample(3.3), 3.3],
  ] as const)('reads %s exactly from its headers', (_name, bytes, seconds) => {
    expect(secondsOf(bytes)).toBeCloseTo(seconds, 6);
  });

  it('reads an hour-long M4A from mvhd without the audio being there', () => {
    const bytes = m4aSample(3_600, { version: 1, timescale: 48_000 });

    expect(bytes.length).toBeLessThan(1_024);
    expect(secondsOf(bytes)).toBe(3_600);
  });

  it('answers null for an M4A whose mvhd gives no duration', () => {
    expect(secondsOf(m4aSample(0))).toBeNull();
    expect(secondsOf(m4aSample(10, { timescale: 0 }))).toBeNull();
  });

  it('does not believe a WAV header that claims more data than arrived', () => {
    const bytes = wavSample(2);
    bytes.writeUInt32LE(0x7fffffff, 40);

    expect(secondsOf(bytes)).toBeCloseTo(2, 6);
  });

  it('reads an Ogg stream cut mid-page from the last whole page', () => {
    const whole = oggOpusSample(5);
    const estimate = secondsOf(whole.subarray(0, whole.length - 20));

    expect(estimate).toBeGreaterThan(3.5);
    expect(estimate).toBeLessThan(5);
  });

  it('counts junk after MP3 frames at the frames’ byte rate rather than ignoring it', () => {
    const frames = mp3Sample(2);
    const estimate = secondsOf(Buffer.concat([frames, Buffer.alloc(frames.length, 0x55)]));

    expect(estimate).toBeCloseTo(4, 0);
  });

  it('ignores a trailing ID3v1 tag', () => {
    const bytes = Buffer.concat([mp3Sample(2), Buffer.from('TAG'), Buffer.alloc(125)]);

    expect(secondsOf(bytes)).toBeCloseTo(secondsOf(mp3Sample(2)) ?? 0, 6);
  });

  it('answers null when the bytes are not the format the caller names', () => {
    expect(estimateAudioSeconds(pngBytes(), { mimeType: 'audio/mp4', extension: 'm4a' })).toBeNull();
    expect(estimateAudioSeconds(htmlBytes(), { mimeType: 'audio/ogg', extension: 'ogg' })).toBeNull();
    expect(estimateAudioSeconds(Buffer.alloc(0), { mimeType: 'audio/wav', extension: 'wav' })).toBeNull();
  });
});

describe('hostile input', () => {
  const ALL_FORMATS: AudioFormat[] = SAMPLES.map(([, , format]) => format);
  const MAGIC_PREFIXES = [
    'OggS\x00\x02',
    'RIFF\x00\x00\x00\x00WAVEfmt ',
    '#!AMR\n',
    '#!AMR-WB\n',
    '\x00\x00\x00\x18ftypM4A ',
    '\x00\x00\x00\x18ftypisom',
    'ID3\x04\x00\x00',
    '\xff\xfb\x90\xc0',
    '\xff\xf1\x60\x40',
  ].map((text) => Buffer.from(text, 'latin1'));

  /** Must never throw, and a duration, when there is one, is a finite non-negative number. */
  function probe(bytes: Buffer): void {
    detectAudioFormat(bytes);
    for (const format of ALL_FORMATS) {
      const seconds = estimateAudioSeconds(bytes, format);
      if (seconds !== null) expect(Number.isFinite(seconds) && seconds >= 0).toBe(true);
    }
  }

  it('survives random bytes behind every magic number', () => {
    const random = seededRandom(2024);
    for (let round = 0; round < 400; round += 1) {
      const noise = Buffer.from(
        Array.from({ length: Math.floor(random() * 600) }, () => Math.floor(random() * 256)),
      );
      const prefix = MAGIC_PREFIXES[round % MAGIC_PREFIXES.length] ?? Buffer.alloc(0);
      probe(noise);
      probe(Buffer.concat([prefix, noise]));
    }
  });

  it('survives every truncation of every sample', () => {
    for (const [, build] of SAMPLES) {
      const bytes = build(0.3);
      for (let end = 0; end <= bytes.length; end += 1) probe(bytes.subarray(0, end));
    }
  });

  it('survives random corruption of every sample', () => {
    const random = seededRandom(7);
    for (const [, build] of SAMPLES) {
      const original = build(0.5);
      for (let round = 0; round < 100; round += 1) {
        const bytes = Buffer.from(original);
        for (let flips = 0; flips < 8; flips += 1) {
          bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
        }
        probe(bytes);
      }
    }
  });
});
