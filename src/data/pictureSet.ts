// The one reader of a set of pictures, whoever lists and decodes the files: the CLI's folder walk
// in Node (imageFolderNode.ts) and the demo's drop or folder input in the page both give it each
// picture's folders below the chosen folder, and it applies one rule for classes and one way of
// preparing the bytes. Only listing and decoding a file differ between the two.
import { type Channels, type DecodedImage, isColour, prepareImage } from './images.js';

/**
 * Where a file stands, from the folders between the chosen folder and it. Without sub-folders
 * anywhere, every picture is unlabelled (class null). With them, each sub-folder is a class (as
 * torchvision's ImageFolder) and only the pictures directly inside one count: a picture beside
 * the class folders, or in a folder inside one, is skipped with the reason given.
 */
export function pictureClass(
  folders: readonly string[],
  withClasses: boolean,
): { className: string | null } | { reason: string } {
  if (!withClasses) return { className: null };
  if (folders.length === 1) return { className: folders[0]! };
  if (folders.length === 0) return { reason: 'beside the class folders, so it has no class' };
  return { reason: 'in a folder inside a class folder' };
}

/** Pictures prepared for training: count × channels × side² bytes and, with classes, a label each. */
export interface PreparedPictureSet {
  pixels: Uint8Array;
  count: number;
  side: number;
  channels: Channels;
  /** The classes sorted by name (UTF-16 code units); empty without classes. */
  classNames: string[];
  /** Each picture's class, an index into classNames (0 for all without classes). */
  labels: Uint8Array;
}

/**
 * The prepared bytes of every picture so far. With channels 'auto' both grey and colour versions
 * are kept until the first colour picture settles it (colour if any picture is), so that each
 * file is decoded only once.
 */
export class PictureSetBuilder {
  private grey: Uint8Array[] | null;
  private colour: Uint8Array[] | null;
  private readonly classOf: Array<string | null> = [];

  constructor(
    private readonly side: number,
    private readonly wanted: Channels | 'auto' = 'auto',
  ) {
    this.grey = wanted === 3 ? null : [];
    this.colour = wanted === 1 ? null : [];
  }

  get count(): number {
    return this.classOf.length;
  }

  add(image: DecodedImage, className: string | null): void {
    if (this.wanted === 'auto' && this.grey && isColour(image)) this.grey = null;
    this.grey?.push(prepareImage(image, this.side, 1));
    this.colour?.push(prepareImage(image, this.side, 3));
    this.classOf.push(className);
  }

  finish(): PreparedPictureSet {
    const channels: Channels = this.grey ? 1 : 3;
    const chunks = (this.grey ?? this.colour)!;
    const size = channels * this.side * this.side;
    const pixels = new Uint8Array(chunks.length * size);
    chunks.forEach((chunk, i) => {
      pixels.set(chunk, i * size);
    });
    const classNames = [...new Set(this.classOf.filter((c) => c !== null))].sort();
    const labels = Uint8Array.from(this.classOf, (c) => (c === null ? 0 : classNames.indexOf(c)));
    return { pixels, count: chunks.length, side: this.side, channels, classNames, labels };
  }
}
