//! The bytes one token stands for, as OpenAI's logprobs report them (`token` and `bytes`):
//! byte-level BPE pieces map back through GPT-2's byte-to-character table, SentencePiece's
//! `<0xNN>` byte-fallback pieces are that byte, and `▁` is a space. Decoding a single token
//! instead would lose both a partial UTF-8 sequence and a SentencePiece word's leading space.

use std::collections::HashMap;
use std::sync::OnceLock;

/// GPT-2's table, reversed: the character a byte-level piece uses for each byte.
fn byte_of_char() -> &'static HashMap<char, u8> {
    static TABLE: OnceLock<HashMap<char, u8>> = OnceLock::new();
    TABLE.get_or_init(|| {
        // Printable Latin-1 bytes stand for themselves; the others (control characters,
        // space, …) take the characters from U+0100 on, in byte order.
        let printable = |b: u8| matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
        let mut shifted = 0u32;
        (0..=255u8)
            .map(|byte| {
                let c = if printable(byte) {
                    char::from(byte)
                } else {
                    shifted += 1;
                    char::from_u32(255 + shifted).unwrap_or(char::REPLACEMENT_CHARACTER)
                };
                (c, byte)
            })
            .collect()
    })
}

/// A `<0xNN>` byte-fallback piece's byte.
fn fallback_byte(piece: &str) -> Option<u8> {
    let hex = piece.strip_prefix("<0x")?.strip_suffix('>')?;
    (hex.len() == 2).then(|| u8::from_str_radix(hex, 16).ok())?
}

/// The bytes of vocabulary `piece`; `byte_level` when the tokenizer decodes with GPT-2's
/// byte-level table. Special tokens are their own text.
pub fn piece_bytes(piece: &str, byte_level: bool, special: bool) -> Vec<u8> {
    if special {
        return piece.as_bytes().to_vec();
    }
    if let Some(byte) = fallback_byte(piece) {
        return vec![byte];
    }
    if byte_level {
        let table = byte_of_char();
        if let Some(bytes) = piece.chars().map(|c| table.get(&c).copied()).collect() {
            return bytes;
        }
    }
    piece.replace('\u{2581}', " ").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_level_pieces_map_back_to_their_bytes() {
        assert_eq!(piece_bytes("Ġthe", true, false), b" the");
        assert_eq!(piece_bytes("Ċ", true, false), b"\n");
        // Half of "é" (0xC3 0xA9): the piece holds one byte of a two-byte character.
        assert_eq!(piece_bytes("Ã", true, false), [0xC3]);
        assert_eq!(piece_bytes("©", true, false), [0xA9]);
    }

    #[test]
    fn sentencepiece_pieces_keep_their_space_and_byte_fallback() {
        assert_eq!(piece_bytes("▁Paris", false, false), b" Paris");
        assert_eq!(piece_bytes("<0x0A>", false, false), b"\n");
        assert_eq!(piece_bytes("<0xE2>", true, false), [0xE2]);
    }

    #[test]
    fn special_tokens_are_their_text() {
        assert_eq!(piece_bytes("<|im_end|>", true, true), b"<|im_end|>");
    }
}
