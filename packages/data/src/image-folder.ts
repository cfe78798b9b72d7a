// ImageFolder: every JPEG/PNG/WebP/GIF/TIFF under a root, optionally labelled by top-level class folders.
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { decodeImageFile } from './decode-image';
import { DataFileError, InvalidArgumentError, assertKnownKeys, assertOneOf } from '@msn/errors';
import { assertIndex, type DatasetSource, type ImageDataset } from './image-dataset';
import type { Sample } from './image';

/** File extensions ImageFolder picks up (case-insensitive). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png', '.webp', '.gif', '.tif', '.tiff'];

/** One file skipped under `onError: 'skip'`. */
export interface SkippedSample {
  index: number;
  file: string;
  reason: string;
}

/** Options of {@link ImageFolder}. */
export interface ImageFolderOptions {
  /**
   * What a file that cannot be read or decoded does: `throw` a DataFileError naming it, or `skip` it (a
   * warning through `onWarning`, the sample resolves to `null`, and it is recorded in `skipped`).
   * @default 'throw'
   */
  onError?: 'throw' | 'skip';
  /**
   * `folders`: every top-level subfolder is a class (sorted names; torchvision's ImageFolder), images directly
   * in the root are an error. `none`: no labels, every image anywhere under the root. `auto`: `folders` when
   * the root holds subfolders and no images of its own, else `none`.
   * @default 'auto'
   */
  labels?: 'auto' | 'folders' | 'none';
  /** Receives skip warnings. @default process.emitWarning */
  onWarning?: (message: string) => void;
}

function listImages(folder: string, files: string[], ignored: { count: number }): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(folder, { withFileTypes: true });
  } catch (error) {
    throw new DataFileError(
      { caller: 'ImageFolder', file: folder, problem: `cannot be listed (${(error as NodeJS.ErrnoException).code ?? String(error)})` },
      { cause: error },
    );
  }
  for (const entry of entries) {
    const path = join(folder, entry.name);
    let isDirectory = entry.isDirectory();
    let isFile = entry.isFile();
    if (entry.isSymbolicLink()) {
      try {
        const target = statSync(path);
        isDirectory = target.isDirectory();
        isFile = target.isFile();
      } catch {
        // A dangling link is a listed file that cannot be read: keep it so decoding reports it by name.
        isFile = IMAGE_EXTENSIONS.includes(extname(entry.name).toLowerCase());
      }
    }
    if (isDirectory) listImages(path, files, ignored);
    else if (isFile && IMAGE_EXTENSIONS.includes(extname(entry.name).toLowerCase())) files.push(path);
    else ignored.count++;
  }
}

/**
 * Images under `root`, found recursively and sorted by path, decoded with sharp (JPEG, PNG, WebP, GIF first
 * frame, TIFF first page) into 8-bit RGB: grayscale is expanded, alpha dropped (like PIL's `convert('RGB')`),
 * 16-bit scaled to 8 bits, CMYK and palettes converted. The listing happens at construction; decoding on `get`.
 *
 * @example
 * const photos = new ImageFolder('data/train');             // data/train/<class>/**.jpg → labels
 * const { image, label } = (await photos.get(0))!;
 * @throws {DataFileError} when the root is missing or not a folder, holds no images, or a class folder is empty.
 * @throws {InvalidArgumentError} for bad options.
 */
export class ImageFolder implements ImageDataset {
  readonly root: string;
  readonly length: number;
  readonly classes?: readonly string[];
  /** Absolute paths of the samples, index order. */
  readonly files: readonly string[];
  /** Files under the root that are not images by extension (not samples; counted so nothing vanishes unseen). */
  readonly ignoredFiles: number;
  /** Samples skipped under `onError: 'skip'`, in the order they were met. */
  readonly skipped: SkippedSample[] = [];
  private readonly labelOf: readonly number[] | null;
  private readonly onError: 'throw' | 'skip';
  private readonly onWarning: (message: string) => void;

  constructor(root: string, options: ImageFolderOptions = {}) {
    const caller = 'ImageFolder';
    if (typeof root !== 'string' || root.length === 0) {
      throw new InvalidArgumentError({ caller, argument: 'root', value: root, expected: 'a folder path' });
    }
    assertKnownKeys(caller, options, ['onError', 'labels', 'onWarning']);
    const onError = options.onError ?? 'throw';
    assertOneOf(caller, 'onError', onError, ['throw', 'skip'] as const);
    const labels = options.labels ?? 'auto';
    assertOneOf(caller, 'labels', labels, ['auto', 'folders', 'none'] as const);
    if (options.onWarning !== undefined && typeof options.onWarning !== 'function') {
      throw new InvalidArgumentError({ caller, argument: 'onWarning', value: options.onWarning, expected: 'a function' });
    }

    let rootStat: ReturnType<typeof statSync>;
    try {
      rootStat = statSync(root);
    } catch (error) {
      throw new DataFileError({ caller, file: root, problem: 'does not exist' }, { cause: error });
    }
    if (!rootStat.isDirectory()) throw new DataFileError({ caller, file: root, problem: 'is not a folder' });

    const entries = readdirSync(root, { withFileTypes: true });
    const folders = entries
      .filter((entry) => entry.isDirectory() || (entry.isSymbolicLink() && safeIsDirectory(join(root, entry.name))))
      .map((entry) => entry.name)
      .sort();
    const topImages = entries.filter((entry) => !folders.includes(entry.name) && IMAGE_EXTENSIONS.includes(extname(entry.name).toLowerCase()));
    const useFolders = labels === 'folders' || (labels === 'auto' && folders.length > 0 && topImages.length === 0);

    const ignored = { count: 0 };
    const files: string[] = [];
    const labelOf: number[] = [];
    if (useFolders) {
      if (folders.length === 0) {
        throw new DataFileError({ caller, file: root, problem: "has no class subfolders (labels: 'folders')" });
      }
      if (topImages.length > 0) {
        throw new DataFileError({
          caller,
          file: root,
          problem: `holds ${topImages.length} images outside class folders (e.g. '${topImages[0]!.name}'); with labels: 'folders' every image must be in a class folder`,
        });
      }
      ignored.count += entries.length - folders.length;
      folders.forEach((name, label) => {
        const classFiles: string[] = [];
        listImages(join(root, name), classFiles, ignored);
        if (classFiles.length === 0) {
          throw new DataFileError({ caller, file: join(root, name), problem: `class folder '${name}' holds no images (${IMAGE_EXTENSIONS.join(', ')})` });
        }
        classFiles.sort();
        for (const file of classFiles) {
          files.push(file);
          labelOf.push(label);
        }
      });
    } else {
      listImages(root, files, ignored);
      files.sort();
    }
    if (files.length === 0) {
      throw new DataFileError({
        caller,
        file: root,
        problem: `holds no images (${IMAGE_EXTENSIONS.join(', ')}); ${ignored.count} other files`,
      });
    }
    this.root = root;
    this.files = files;
    this.length = files.length;
    this.ignoredFiles = ignored.count;
    this.labelOf = useFolders ? labelOf : null;
    if (useFolders) this.classes = folders;
    this.onError = onError;
    this.onWarning = options.onWarning ?? ((message: string) => process.emitWarning(message, 'ImageFolderWarning'));
  }

  /** Rebuilds a dataset from {@link ImageFolder.toSource} in a worker thread (no folder listing). */
  static fromSource(source: Extract<DatasetSource, { kind: 'image-folder' }>): ImageFolder {
    const dataset = Object.create(ImageFolder.prototype) as ImageFolder;
    Object.assign(dataset, {
      root: source.root,
      files: source.files,
      length: source.files.length,
      ignoredFiles: 0,
      skipped: [],
      labelOf: source.labels,
      onError: source.onError,
      // Workers never warn themselves: the loader reports skips on the main thread via reportSkipped.
      onWarning: () => undefined,
      ...(source.classes === null ? {} : { classes: source.classes }),
    });
    return dataset;
  }

  /**
   * Decodes the sample at `index`; resolves to `null` when it is skipped under `onError: 'skip'`.
   * @throws {DataFileError} naming the file when it cannot be read or decoded (with `onError: 'throw'`).
   * @throws {InvalidArgumentError} for an index outside [0, length).
   */
  async get(index: number): Promise<Sample | null> {
    assertIndex('ImageFolder.get', index, this.length);
    try {
      return await this.decode(index);
    } catch (error) {
      if (this.onError === 'skip' && error instanceof DataFileError) {
        this.reportSkipped(index, error.message);
        return null;
      }
      throw error;
    }
  }

  /** The class folder's label of image `index` (`undefined` without class folders). */
  labelAt(index: number): number | undefined {
    assertIndex('ImageFolder.labelAt', index, this.length);
    return this.labelOf === null ? undefined : this.labelOf[index]!;
  }

  /**
   * Decodes the sample at `index` whatever the error policy (workers use this and report skips themselves).
   * @throws {DataFileError} naming the file when it cannot be read or decoded.
   */
  async decode(index: number): Promise<Sample> {
    const file = this.files[index]!;
    const image = await decodeImageFile('ImageFolder', file);
    return this.labelOf === null ? { image } : { image, label: this.labelOf[index]! };
  }

  /** Records and announces a skipped sample. */
  reportSkipped(index: number, reason: string): void {
    const file = this.files[index] ?? '?';
    this.skipped.push({ index, file, reason });
    this.onWarning(`ImageFolder: skipped sample ${index} ('${relative(this.root, file)}'): ${reason} [${this.skipped.length} skipped so far]`);
  }

  /** How a worker thread rebuilds this dataset. */
  toSource(): DatasetSource {
    return {
      kind: 'image-folder',
      root: this.root,
      files: this.files,
      labels: this.labelOf,
      classes: this.classes ?? null,
      onError: this.onError,
    };
  }
}

function safeIsDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
