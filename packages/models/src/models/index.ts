// The built-in model types, registered in the paper's order (the tiebreak of the training order).
import './text-lstm.ts';
import './speech-cnn.ts';
import './joint-cnn.ts';
import './linear.ts';
import './bc-lstm.ts';
import './tfn.ts';
import './lmf.ts';
import './text-cnn.ts';
