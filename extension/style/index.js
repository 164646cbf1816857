import './base.css';
import './panel.css';
import './cells.css';
import './executors.css';
import './gpu.css';
