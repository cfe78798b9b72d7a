// How checkpoint tensors become bytes: safetensors by default (PyTorch state_dict names kept).
import { readSafetensors, writeSafetensors } from '@msn/vit';
import type { StoredTensor } from '../optim/optimizer-state';

/** Serialises named float32 tensors with string metadata, and reads them back. */
export interface TensorCodec {
  encode(tensors: ReadonlyMap<string, StoredTensor>, metadata: Record<string, string>): Uint8Array;
  /** `source` names the bytes (a file path) in error messages. */
  decode(bytes: Uint8Array, source: string): { tensors: Map<string, StoredTensor>; metadata: Record<string, string> };
}

/** The safetensors format (via @msn/vit): F32 tensors, loadable with `safetensors.torch.load_file`. */
export const safetensorsCodec: TensorCodec = {
  encode: (tensors, metadata) => writeSafetensors(tensors, metadata),
  decode: (bytes, source) => {
    const content = readSafetensors(bytes, source);
    return {
      tensors: new Map([...content.tensors].map(([name, tensor]) => [name, { shape: tensor.shape, data: tensor.data }])),
      metadata: content.metadata,
    };
  },
};
