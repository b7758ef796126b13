import { render } from 'preact';
import { AccountPage } from './account-page.js';
import { TesseraApi } from '../shared/tessera-api.js';

render(<AccountPage api={new TesseraApi()} />, document.getElementById('app')!);
