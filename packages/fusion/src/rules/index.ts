// The paper's three rules, registered in its order (I, II, III).
import './average.ts';
import './weighted.ts';
import './product.ts';
