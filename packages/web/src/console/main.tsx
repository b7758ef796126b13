import { render } from 'preact';
import { TesseraApi } from '../shared/tessera-api.js';
import { ConsolePage } from './console-page.js';

render(<ConsolePage api={new TesseraApi()} />, document.getElementById('app')!);
