// Prints a folder's listing as the Node package reads it: node node_listing.mjs DIR
import { FolderSource } from '../../sync-node/js/index.mjs'

process.stdout.write(JSON.stringify(await new FolderSource(process.argv[2]).read()))
