//! Sets up the linker flags a Node addon needs (napi symbols resolve inside the Node process).
fn main() {
    napi_build::setup();
}
