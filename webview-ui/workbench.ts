/**
 * The workbench tabs' front end (dist/workbench.js): the page says which view it is
 * (`<body data-view>`), and that view's component takes the page.
 */
import './workbench/tool-runner';
import './workbench/question';
import './workbench/image-view';
import './workbench/trace-view';
import './workbench/gateway-view';
import { post } from './workbench/host';

const VIEWS: Record<string, string> = { tool: 'mcp-tool-runner', elicitation: 'mcp-question', image: 'mcp-image-view', trace: 'mcp-trace-view', gateway: 'mcp-gateway-view' };

const tag = VIEWS[document.body.dataset.view ?? ''];
if (tag) document.getElementById('root')?.append(document.createElement(tag));
post({ type: 'ready' });
