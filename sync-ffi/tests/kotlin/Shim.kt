// Debian's kotlinx-coroutines is 1.0.1, older than the `DelicateCoroutinesApi` annotation the
// generated bindings opt into; declaring it lets them compile against that old library.
package kotlinx.coroutines

@RequiresOptIn
annotation class DelicateCoroutinesApi
