//! The workspace's own uniffi bindgen (same uniffi version as the library, so the generated
//! code always matches the scaffolding): `uniffi-bindgen generate --library <lib> --language
//! kotlin|swift|python --out-dir <dir>`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
