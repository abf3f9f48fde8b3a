"""Our PTB -> UD converter on hand-written radiology trees: every edge of every tree, reading trees,
offsets, parts of speech, lemmas, and the rules' labels on converted graphs.

The trees below were written for these tests. Each expected edge is (word, relation, head word or
ROOT), in sentence order, in the conventions of the spaCy backend's conversion (rules/README.md).
"""
from __future__ import annotations

import pytest

from cxrlabel.errors import UserError
from cxrlabel.en.parsers.ptb_to_ud import convert, load_head_rules, upos
from cxrlabel.en.parsers.ptb_tree import Tree, align, clean_label, detokenize, read_trees
from tests.conftest import spacy_required

def edges(graph) -> list[tuple[str, str, str]]:
    return [(t.text, t.dep, graph.tokens[t.head].text if t.head >= 0 else "ROOT") for t in graph.tokens]


def graph_of(bracketed: str, text: str | None = None, lemmatize=None):
    (tree,) = read_trees(bracketed)
    return convert(tree, text=text, lemmatize=lemmatize)


TREES = [
    pytest.param(
        '(ROOT (S (NP (DT No) (JJ pleural) (NN effusion) (CC or) (NN pneumothorax)) (. .)))',
        [('No', 'det', 'effusion'), ('pleural', 'amod', 'effusion'), ('effusion', 'root', 'ROOT'),
         ('or', 'cc', 'pneumothorax'), ('pneumothorax', 'conj', 'effusion'), ('.', 'punct', 'effusion')],
        id='No pleural effusion or pneumothorax.'),
    pytest.param(
        '(ROOT (S (NP (EX There)) (VP (VBZ is) (NP (NP (DT no) (NN evidence)) (PP (IN of) (NP'
        ' (NN pneumonia))))) (. .)))',
        [('There', 'expl', 'is'), ('is', 'root', 'ROOT'), ('no', 'det', 'evidence'),
         ('evidence', 'nsubj', 'is'), ('of', 'case', 'pneumonia'), ('pneumonia', 'nmod', 'evidence'),
         ('.', 'punct', 'is')],
        id='There is no evidence of pneumonia.'),
    pytest.param(
        '(ROOT (S (NP (DT The) (NN heart)) (VP (VBZ is) (RB not) (VP (VBN enlarged))) (. .)))',
        [('The', 'det', 'heart'), ('heart', 'nsubj:pass', 'enlarged'), ('is', 'aux:pass', 'enlarged'),
         ('not', 'advmod', 'enlarged'), ('enlarged', 'root', 'ROOT'), ('.', 'punct', 'enlarged')],
        id='The heart is not enlarged.'),
    pytest.param(
        '(ROOT (S (NP (NN Heart) (NN size)) (VP (VBZ is) (PP (IN within) (NP (JJ normal) (NNS limits))))'
        ' (. .)))',
        [('Heart', 'compound', 'size'), ('size', 'nsubj', 'limits'), ('is', 'cop', 'limits'),
         ('within', 'case', 'limits'), ('normal', 'amod', 'limits'), ('limits', 'root', 'ROOT'),
         ('.', 'punct', 'limits')],
        id='Heart size is within normal limits.'),
    pytest.param(
        '(ROOT (S (NP (NN Pneumothorax)) (VP (VBZ has) (VP (VBN resolved))) (. .)))',
        [('Pneumothorax', 'nsubj', 'resolved'), ('has', 'aux', 'resolved'), ('resolved', 'root', 'ROOT'),
         ('.', 'punct', 'resolved')],
        id='Pneumothorax has resolved.'),
    pytest.param(
        '(ROOT (S (NP (NNS Findings)) (VP (MD may) (VP (VB represent) (NP (NN atelectasis)))) (. .)))',
        [('Findings', 'nsubj', 'represent'), ('may', 'aux', 'represent'), ('represent', 'root', 'ROOT'),
         ('atelectasis', 'obj', 'represent'), ('.', 'punct', 'represent')],
        id='Findings may represent atelectasis.'),
    pytest.param(
        '(ROOT (S (VP (MD Can) (RB not) (VP (VB exclude) (NP (NN pneumonia)))) (. .)))',
        [('Can', 'aux', 'exclude'), ('not', 'advmod', 'exclude'), ('exclude', 'root', 'ROOT'),
         ('pneumonia', 'obj', 'exclude'), ('.', 'punct', 'exclude')],
        id='Can not exclude pneumonia.'),
    pytest.param(
        '(ROOT (NP (NP (NN Opacity)) (SBAR (WHNP (WDT which)) (S (VP (MD may) (VP (VB be) (ADJP (JJ due)'
        ' (PP (TO to) (NP (NN atelectasis)))))))) (. .)))',
        [('Opacity', 'root', 'ROOT'), ('which', 'nsubj', 'due'), ('may', 'aux', 'due'), ('be', 'cop', 'due'),
         ('due', 'acl:relcl', 'Opacity'), ('to', 'case', 'atelectasis'), ('atelectasis', 'obl', 'due'),
         ('.', 'punct', 'Opacity')],
        id='Opacity which may be due to atelectasis.'),
    pytest.param(
        '(ROOT (S (SBAR (IN If) (S (VP (ADVP (RB clinically)) (VBN indicated)))) (, ,) (NP (DT a)'
        ' (NNP CT)) (VP (MD could) (VP (VB be) (VP (VBN performed)))) (. .)))',
        [('If', 'mark', 'indicated'), ('clinically', 'advmod', 'indicated'),
         ('indicated', 'advcl', 'performed'), (',', 'punct', 'performed'), ('a', 'det', 'CT'),
         ('CT', 'nsubj:pass', 'performed'), ('could', 'aux', 'performed'), ('be', 'aux:pass', 'performed'),
         ('performed', 'root', 'ROOT'), ('.', 'punct', 'performed')],
        id='If clinically indicated, a CT could be performed.'),
    pytest.param(
        '(ROOT (FRAG (ADVP (RB No) (RBR longer)) (VP (VBN seen)) (. .)))',
        [('No', 'advmod', 'longer'), ('longer', 'advmod', 'seen'), ('seen', 'root', 'ROOT'),
         ('.', 'punct', 'seen')],
        id='No longer seen.'),
    pytest.param(
        '(ROOT (S (NP (NN Effusion)) (VP (VBZ is) (RB not) (VP (VBN seen))) (. .)))',
        [('Effusion', 'nsubj:pass', 'seen'), ('is', 'aux:pass', 'seen'), ('not', 'advmod', 'seen'),
         ('seen', 'root', 'ROOT'), ('.', 'punct', 'seen')],
        id='Effusion is not seen.'),
    pytest.param(
        '(ROOT (S (NP (NN Pneumonia)) (VP (VBZ is) (RB not) (VP (VBN excluded))) (. .)))',
        [('Pneumonia', 'nsubj:pass', 'excluded'), ('is', 'aux:pass', 'excluded'),
         ('not', 'advmod', 'excluded'), ('excluded', 'root', 'ROOT'), ('.', 'punct', 'excluded')],
        id='Pneumonia is not excluded.'),
    pytest.param(
        "(ROOT (S (NP (NP (DT The) (NN patient) (POS 's)) (NN heart)) (VP (VBZ is) (VP (VBN enlarged)))"
        ' (. .)))',
        [('The', 'det', 'patient'), ('patient', 'nmod:poss', 'heart'), ("'s", 'case', 'patient'),
         ('heart', 'nsubj:pass', 'enlarged'), ('is', 'aux:pass', 'enlarged'), ('enlarged', 'root', 'ROOT'),
         ('.', 'punct', 'enlarged')],
        id="The patient's heart is enlarged."),
    pytest.param(
        '(ROOT (S (NP (PRP$ Its) (NN size)) (VP (VBZ is) (ADJP (JJ stable))) (. .)))',
        [('Its', 'nmod:poss', 'size'), ('size', 'nsubj', 'stable'), ('is', 'cop', 'stable'),
         ('stable', 'root', 'ROOT'), ('.', 'punct', 'stable')],
        id='Its size is stable.'),
    pytest.param(
        '(ROOT (NP (DT A) (CD 2) (NN cm) (NN nodule) (. .)))',
        [('A', 'det', 'nodule'), ('2', 'nummod', 'cm'), ('cm', 'compound', 'nodule'),
         ('nodule', 'root', 'ROOT'), ('.', 'punct', 'nodule')],
        id='A 2 cm nodule.'),
    pytest.param(
        '(ROOT (S (NP (DT A) (ADJP (CD 1.5) (NN cm)) (NN nodule)) (VP (VBZ is) (ADJP (JJ present)) (PP'
        ' (IN in) (NP (DT the) (JJ right) (JJ upper) (NN lobe)))) (. .)))',
        [('A', 'det', 'nodule'), ('1.5', 'nummod', 'cm'), ('cm', 'compound', 'nodule'),
         ('nodule', 'nsubj', 'present'), ('is', 'cop', 'present'), ('present', 'root', 'ROOT'),
         ('in', 'case', 'lobe'), ('the', 'det', 'lobe'), ('right', 'amod', 'lobe'), ('upper', 'amod', 'lobe'),
         ('lobe', 'obl', 'present'), ('.', 'punct', 'present')],
        id='A 1.5 cm nodule is present in the right upper lobe.'),
    pytest.param(
        '(ROOT (NP (NP (JJ Patchy) (JJ left) (JJ basilar) (NN opacity)) (, ,) (NP (JJ likely)'
        ' (NN atelectasis)) (. .)))',
        [('Patchy', 'amod', 'opacity'), ('left', 'amod', 'opacity'), ('basilar', 'amod', 'opacity'),
         ('opacity', 'root', 'ROOT'), (',', 'punct', 'opacity'), ('likely', 'amod', 'atelectasis'),
         ('atelectasis', 'appos', 'opacity'), ('.', 'punct', 'opacity')],
        id='Patchy left basilar opacity, likely atelectasis.'),
    pytest.param(
        '(ROOT (S (NP (NNS Findings)) (VP (VBP suggest) (SBAR (IN that) (S (NP (DT the) (NN effusion))'
        ' (VP (VBZ has) (VP (VBN increased)))))) (. .)))',
        [('Findings', 'nsubj', 'suggest'), ('suggest', 'root', 'ROOT'), ('that', 'mark', 'increased'),
         ('the', 'det', 'effusion'), ('effusion', 'nsubj', 'increased'), ('has', 'aux', 'increased'),
         ('increased', 'ccomp', 'suggest'), ('.', 'punct', 'suggest')],
        id='Findings suggest that the effusion has increased.'),
    pytest.param(
        '(ROOT (NP (NP (DT No) (JJ focal) (NN consolidation)) (, ,) (NP (JJ pleural) (NN effusion)) (, ,)'
        ' (CC or) (NP (NN pneumothorax)) (. .)))',
        [('No', 'det', 'consolidation'), ('focal', 'amod', 'consolidation'),
         ('consolidation', 'root', 'ROOT'), (',', 'punct', 'effusion'), ('pleural', 'amod', 'effusion'),
         ('effusion', 'conj', 'consolidation'), (',', 'punct', 'pneumothorax'), ('or', 'cc', 'pneumothorax'),
         ('pneumothorax', 'conj', 'consolidation'), ('.', 'punct', 'consolidation')],
        id='No focal consolidation, pleural effusion, or pneumothorax.'),
    pytest.param(
        '(ROOT (NP (CC Neither) (NN pneumothorax) (CC nor) (NN effusion) (. .)))',
        [('Neither', 'det', 'pneumothorax'), ('pneumothorax', 'root', 'ROOT'), ('nor', 'cc', 'effusion'),
         ('effusion', 'conj', 'pneumothorax'), ('.', 'punct', 'pneumothorax')],
        id='Neither pneumothorax nor effusion.'),
    pytest.param(
        '(ROOT (S (NP (NNS Lungs)) (VP (VBP are) (ADJP (JJ clear))) (. .)))',
        [('Lungs', 'nsubj', 'clear'), ('are', 'cop', 'clear'), ('clear', 'root', 'ROOT'),
         ('.', 'punct', 'clear')],
        id='Lungs are clear.'),
    pytest.param(
        '(ROOT (S (NP (DT The) (NNS lungs)) (VP (VBP appear) (ADJP (JJ clear))) (. .)))',
        [('The', 'det', 'lungs'), ('lungs', 'nsubj', 'appear'), ('appear', 'root', 'ROOT'),
         ('clear', 'xcomp', 'appear'), ('.', 'punct', 'appear')],
        id='The lungs appear clear.'),
    pytest.param(
        '(ROOT (S (NP (JJ Nasogastric) (NN tube)) (VP (VBZ extends) (PP (IN into) (NP (DT the)'
        ' (NN stomach)))) (. .)))',
        [('Nasogastric', 'amod', 'tube'), ('tube', 'nsubj', 'extends'), ('extends', 'root', 'ROOT'),
         ('into', 'case', 'stomach'), ('the', 'det', 'stomach'), ('stomach', 'obl', 'extends'),
         ('.', 'punct', 'extends')],
        id='Nasogastric tube extends into the stomach.'),
    pytest.param(
        '(ROOT (NP (NP (JJ Small) (NN effusion)) (PP (IN at) (NP (DT the) (JJ left) (NN base))) (. .)))',
        [('Small', 'amod', 'effusion'), ('effusion', 'root', 'ROOT'), ('at', 'case', 'base'),
         ('the', 'det', 'base'), ('left', 'amod', 'base'), ('base', 'nmod', 'effusion'),
         ('.', 'punct', 'effusion')],
        id='Small effusion at the left base.'),
    pytest.param(
        '(ROOT (S (NP (DT The) (NNS lungs)) (VP (VBP are) (ADJP (JJ clear)) (PP (IN without) (NP'
        ' (JJ focal) (NN consolidation)))) (. .)))',
        [('The', 'det', 'lungs'), ('lungs', 'nsubj', 'clear'), ('are', 'cop', 'clear'),
         ('clear', 'root', 'ROOT'), ('without', 'case', 'consolidation'), ('focal', 'amod', 'consolidation'),
         ('consolidation', 'obl', 'clear'), ('.', 'punct', 'clear')],
        id='The lungs are clear without focal consolidation.'),
    pytest.param(
        '(ROOT (S (NP (PRP We)) (VP (VBD gave) (NP (DT the) (NN patient)) (NP (DT a) (NN diuretic)))'
        ' (. .)))',
        [('We', 'nsubj', 'gave'), ('gave', 'root', 'ROOT'), ('the', 'det', 'patient'),
         ('patient', 'iobj', 'gave'), ('a', 'det', 'diuretic'), ('diuretic', 'obj', 'gave'),
         ('.', 'punct', 'gave')],
        id='We gave the patient a diuretic.'),
    pytest.param(
        '(ROOT (UCP (NP (NP (DT No) (NN evidence)) (PP (IN of) (NP (JJ pleural) (NN effusion)))) (, ,)'
        ' (CC but) (S (NP (EX there)) (VP (VBZ is) (NP (DT a) (JJ small) (JJ right) (NN pneumothorax))))'
        ' (. .)))',
        [('No', 'det', 'evidence'), ('evidence', 'root', 'ROOT'), ('of', 'case', 'effusion'),
         ('pleural', 'amod', 'effusion'), ('effusion', 'nmod', 'evidence'), (',', 'punct', 'is'),
         ('but', 'cc', 'is'), ('there', 'expl', 'is'), ('is', 'conj', 'evidence'),
         ('a', 'det', 'pneumothorax'), ('small', 'amod', 'pneumothorax'), ('right', 'amod', 'pneumothorax'),
         ('pneumothorax', 'nsubj', 'is'), ('.', 'punct', 'evidence')],
        id='No evidence of pleural effusion, but there is a small right pneumothorax.'),
    pytest.param(
        '(ROOT (NP (NP (JJ Right) (JJR lower) (NN lobe) (NN opacity)) (VP (VBG concerning) (PP (IN for)'
        ' (NP (NN pneumonia)))) (. .)))',
        [('Right', 'amod', 'opacity'), ('lower', 'amod', 'opacity'), ('lobe', 'compound', 'opacity'),
         ('opacity', 'root', 'ROOT'), ('concerning', 'acl', 'opacity'), ('for', 'case', 'pneumonia'),
         ('pneumonia', 'obl', 'concerning'), ('.', 'punct', 'opacity')],
        id='Right lower lobe opacity concerning for pneumonia.'),
    pytest.param(
        '(ROOT (NP (NP (JJ Clinical) (NN correlation)) (S (VP (TO to) (VP (VB rule) (PRT (RP out)) (NP'
        ' (NN pneumonia))))) (. .)))',
        [('Clinical', 'amod', 'correlation'), ('correlation', 'root', 'ROOT'), ('to', 'mark', 'rule'),
         ('rule', 'acl', 'correlation'), ('out', 'compound:prt', 'rule'), ('pneumonia', 'obj', 'rule'),
         ('.', 'punct', 'correlation')],
        id='Clinical correlation to rule out pneumonia.'),
    pytest.param(
        '(ROOT (S (NP (DT The) (NN effusion)) (VP (VBZ has) (VP (VBN increased) (, ,) (S (VP'
        ' (VBG suggesting) (NP (NN infection)))))) (. .)))',
        [('The', 'det', 'effusion'), ('effusion', 'nsubj', 'increased'), ('has', 'aux', 'increased'),
         ('increased', 'root', 'ROOT'), (',', 'punct', 'increased'), ('suggesting', 'advcl', 'increased'),
         ('infection', 'obj', 'suggesting'), ('.', 'punct', 'increased')],
        id='The effusion has increased, suggesting infection.'),
    pytest.param(
        '(ROOT (NP (NP (DT The) (NN nodule)) (SBAR (WHNP (WDT that)) (S (NP (PRP we)) (VP (VBD described)'
        ' (ADVP (RB previously))))) (. .)))',
        [('The', 'det', 'nodule'), ('nodule', 'root', 'ROOT'), ('that', 'obj', 'described'),
         ('we', 'nsubj', 'described'), ('described', 'acl:relcl', 'nodule'),
         ('previously', 'advmod', 'described'), ('.', 'punct', 'nodule')],
        id='The nodule that we described previously.'),
    pytest.param(
        '(ROOT (S (NP (EX There)) (VP (MD may) (VP (VB be) (NP (DT a) (JJ small) (NN effusion)))) (. .)))',
        [('There', 'expl', 'be'), ('may', 'aux', 'be'), ('be', 'root', 'ROOT'), ('a', 'det', 'effusion'),
         ('small', 'amod', 'effusion'), ('effusion', 'nsubj', 'be'), ('.', 'punct', 'be')],
        id='There may be a small effusion.'),
    pytest.param(
        '(ROOT (SQ (VBZ Is) (NP (EX there)) (NP (DT any) (NN pneumothorax)) (. ?)))',
        [('Is', 'root', 'ROOT'), ('there', 'expl', 'Is'), ('any', 'det', 'pneumothorax'),
         ('pneumothorax', 'nsubj', 'Is'), ('?', 'punct', 'Is')],
        id='Is there any pneumothorax?'),
    pytest.param(
        '(ROOT (S (NP (DT The) (NN effusion)) (VP (VBZ is) (ADVP (RB no) (RBR longer)) (ADJP'
        ' (JJ present))) (. .)))',
        [('The', 'det', 'effusion'), ('effusion', 'nsubj', 'present'), ('is', 'cop', 'present'),
         ('no', 'advmod', 'longer'), ('longer', 'advmod', 'present'), ('present', 'root', 'ROOT'),
         ('.', 'punct', 'present')],
        id='The effusion is no longer present.'),
    pytest.param(
        '(ROOT (NP (NP (NP (DT No) (JJ displaced) (NN rib) (NNS fractures)) (, ,) (NP (NN pneumothorax))'
        ' (, ,) (CC or) (NP (JJ pleural) (NN effusion))) (VP (VBN identified)) (. .)))',
        [('No', 'det', 'fractures'), ('displaced', 'amod', 'fractures'), ('rib', 'compound', 'fractures'),
         ('fractures', 'root', 'ROOT'), (',', 'punct', 'pneumothorax'), ('pneumothorax', 'conj', 'fractures'),
         (',', 'punct', 'effusion'), ('or', 'cc', 'effusion'), ('pleural', 'amod', 'effusion'),
         ('effusion', 'conj', 'fractures'), ('identified', 'acl', 'fractures'), ('.', 'punct', 'fractures')],
        id='No displaced rib fractures, pneumothorax, or pleural effusion identified.'),
    pytest.param(
        '(ROOT (S (NP (DT The) (JJ right) (CC and) (JJ left) (NNS lungs)) (VP (VBP are) (ADJP'
        ' (JJ clear))) (. .)))',
        [('The', 'det', 'lungs'), ('right', 'amod', 'lungs'), ('and', 'cc', 'left'),
         ('left', 'conj', 'right'), ('lungs', 'nsubj', 'clear'), ('are', 'cop', 'clear'),
         ('clear', 'root', 'ROOT'), ('.', 'punct', 'clear')],
        id='The right and left lungs are clear.'),
    pytest.param(
        '(ROOT (S (NP (DT The) (NN heart)) (VP (VBZ appears) (S (VP (TO to) (VP (VB be) (ADJP'
        ' (JJ enlarged)))))) (. .)))',
        [('The', 'det', 'heart'), ('heart', 'nsubj', 'appears'), ('appears', 'root', 'ROOT'),
         ('to', 'mark', 'enlarged'), ('be', 'cop', 'enlarged'), ('enlarged', 'xcomp', 'appears'),
         ('.', 'punct', 'appears')],
        id='The heart appears to be enlarged.'),
    pytest.param(
        "(ROOT (S (NP (PRP It)) (VP (VBZ is) (RB n't) (VP (VBN seen))) (. .)))",
        [('It', 'nsubj:pass', 'seen'), ('is', 'aux:pass', 'seen'), ("n't", 'advmod', 'seen'),
         ('seen', 'root', 'ROOT'), ('.', 'punct', 'seen')],
        id="It isn't seen."),
    pytest.param(
        '(ROOT (S (NP (NNS Lungs)) (VP (VBP are) (ADJP (JJ clear)) (SBAR (IN because) (S (NP (DT the)'
        ' (NN edema)) (VP (VBZ has) (VP (VBN resolved)))))) (. .)))',
        [('Lungs', 'nsubj', 'clear'), ('are', 'cop', 'clear'), ('clear', 'root', 'ROOT'),
         ('because', 'mark', 'resolved'), ('the', 'det', 'edema'), ('edema', 'nsubj', 'resolved'),
         ('has', 'aux', 'resolved'), ('resolved', 'advcl', 'clear'), ('.', 'punct', 'clear')],
        id='Lungs are clear because the edema has resolved.'),
    pytest.param(
        '(ROOT (S (NP (DT The) (NN heart)) (VP (VBZ has) (ADVP (RB never)) (VP (VBN been) (ADJP'
        ' (JJ enlarged)))) (. .)))',
        [('The', 'det', 'heart'), ('heart', 'nsubj', 'enlarged'), ('has', 'aux', 'enlarged'),
         ('never', 'advmod', 'enlarged'), ('been', 'cop', 'enlarged'), ('enlarged', 'root', 'ROOT'),
         ('.', 'punct', 'enlarged')],
        id='The heart has never been enlarged.'),
    pytest.param(
        '(ROOT (S (NP (NN Atelectasis)) (VP (VBZ is) (VP (VBG being) (VP (VBN evaluated)))) (. .)))',
        [('Atelectasis', 'nsubj:pass', 'evaluated'), ('is', 'aux', 'evaluated'),
         ('being', 'aux:pass', 'evaluated'), ('evaluated', 'root', 'ROOT'), ('.', 'punct', 'evaluated')],
        id='Atelectasis is being evaluated.'),
    pytest.param(
        '(ROOT (S (NP (DT The) (NN tube)) (VP (VBD got) (VP (VBN removed))) (. .)))',
        [('The', 'det', 'tube'), ('tube', 'nsubj:pass', 'removed'), ('got', 'aux:pass', 'removed'),
         ('removed', 'root', 'ROOT'), ('.', 'punct', 'removed')],
        id='The tube got removed.'),
    pytest.param(
        '(ROOT (S (S (NP (NN Lung) (NNS volumes)) (VP (VBP are) (ADJP (JJ low)))) (CC and) (S (NP'
        ' (EX there)) (VP (VBZ is) (NP (JJ bibasilar) (NN atelectasis)))) (. .)))',
        [('Lung', 'compound', 'volumes'), ('volumes', 'nsubj', 'low'), ('are', 'cop', 'low'),
         ('low', 'root', 'ROOT'), ('and', 'cc', 'is'), ('there', 'expl', 'is'), ('is', 'conj', 'low'),
         ('bibasilar', 'amod', 'atelectasis'), ('atelectasis', 'nsubj', 'is'), ('.', 'punct', 'low')],
        id='Lung volumes are low and there is bibasilar atelectasis.'),
    pytest.param(
        '(ROOT (S (S (NP (NNS Lungs)) (VP (VBP are) (ADJP (JJ clear)))) (: ;) (S (NP (NN heart)'
        ' (NN size)) (VP (VBZ is) (ADJP (JJ normal)))) (. .)))',
        [('Lungs', 'nsubj', 'clear'), ('are', 'cop', 'clear'), ('clear', 'root', 'ROOT'),
         (';', 'punct', 'clear'), ('heart', 'compound', 'size'), ('size', 'nsubj', 'normal'),
         ('is', 'cop', 'normal'), ('normal', 'parataxis', 'clear'), ('.', 'punct', 'clear')],
        id='Lungs are clear; heart size is normal.'),
    pytest.param(
        '(ROOT (NP (NP (JJ Endotracheal) (NN tube) (NN tip)) (PP (NP (CD 4) (NN cm)) (IN above) (NP'
        ' (DT the) (NN carina))) (. .)))',
        [('Endotracheal', 'amod', 'tip'), ('tube', 'compound', 'tip'), ('tip', 'root', 'ROOT'),
         ('4', 'nummod', 'cm'), ('cm', 'nmod:npmod', 'carina'), ('above', 'case', 'carina'),
         ('the', 'det', 'carina'), ('carina', 'nmod', 'tip'), ('.', 'punct', 'tip')],
        id='Endotracheal tube tip 4 cm above the carina.'),
    pytest.param(
        '(ROOT (NP (NP (JJ Left) (NN chest) (NN tube)) (PP (IN in) (NP (NN place))) (PP (IN without) (NP'
        ' (NN pneumothorax))) (. .)))',
        [('Left', 'amod', 'tube'), ('chest', 'compound', 'tube'), ('tube', 'root', 'ROOT'),
         ('in', 'case', 'place'), ('place', 'nmod', 'tube'), ('without', 'case', 'pneumothorax'),
         ('pneumothorax', 'nmod', 'tube'), ('.', 'punct', 'tube')],
        id='Left chest tube in place without pneumothorax.'),
    pytest.param(
        '(ROOT (FRAG (NP (JJ Bibasilar) (NN atelectasis) (. .)) (NP (DT No) (NN pneumothorax)) (. .)))',
        [('Bibasilar', 'amod', 'atelectasis'), ('atelectasis', 'root', 'ROOT'), ('.', 'punct', 'atelectasis'),
         ('No', 'det', 'pneumothorax'), ('pneumothorax', 'parataxis', 'atelectasis'),
         ('.', 'punct', 'atelectasis')],
        id='Bibasilar atelectasis. No pneumothorax.'),
    pytest.param(
        '(ROOT (NP (NP (NN Chest)) (NP (CD 2) (NNS views)) (. .)))',
        [('Chest', 'root', 'ROOT'), ('2', 'nummod', 'views'), ('views', 'dep', 'Chest'),
         ('.', 'punct', 'Chest')],
        id='Chest 2 views.'),
    pytest.param(
        '(ROOT (NP (NP (NN Nodule)) (PRN (-LRB- -LRB-) (NN left) (-RRB- -RRB-)) (. .)))',
        [('Nodule', 'root', 'ROOT'), ('(', 'punct', 'left'), ('left', 'appos', 'Nodule'),
         (')', 'punct', 'left'), ('.', 'punct', 'Nodule')],
        id='Nodule (left).'),
    pytest.param(
        '(ROOT (NP (NP (NN Pneumonia)) (PP (IN without) (S (VP (VBG causing) (NP (NN effusion)))))'
        ' (. .)))',
        [('Pneumonia', 'root', 'ROOT'), ('without', 'mark', 'causing'), ('causing', 'acl', 'Pneumonia'),
         ('effusion', 'obj', 'causing'), ('.', 'punct', 'Pneumonia')],
        id='Pneumonia without causing effusion.'),
]

# Every relation the converter promises, each shown at least once in TREES.
PROMISED = {"det", "advmod", "amod", "compound", "nummod", "nmod:poss", "case", "nmod", "obl", "cc", "conj", "cop",
            "aux", "aux:pass", "nsubj", "nsubj:pass", "obj", "iobj", "expl", "xcomp", "ccomp", "advcl", "mark", "acl",
            "acl:relcl", "appos", "punct", "root", "dep"}


@pytest.mark.parametrize("bracketed, expected", TREES)
def test_every_edge(bracketed, expected):
    got = edges(graph_of(bracketed))
    assert [w for w, _, _ in got] == [w for w, _, _ in expected], "the words differ"
    wrong = [f"{want} != {have}" for want, have in zip(expected, got) if want != have]
    assert wrong == [], "edges differ (expected != converted):\n" + "\n".join(wrong)


@pytest.mark.parametrize("bracketed, expected", TREES)
def test_exactly_one_root_and_no_cycles(bracketed, expected):
    graph = graph_of(bracketed)
    assert [t.head for t in graph.tokens].count(-1) == 1
    for token in graph.tokens:
        seen, i = set(), token.i
        while i != -1:
            assert i not in seen, f"cycle through {graph.tokens[i].text!r}"
            seen.add(i)
            i = graph.tokens[i].head


def test_the_table_shows_every_promised_relation():
    shown = {relation for param in TREES for _, relation, _ in param.values[1]}
    assert PROMISED <= shown, f"no tree shows {sorted(PROMISED - shown)}"
    assert len(TREES) >= 40


def test_negation_words_get_the_relations_the_rules_look_for():
    """det for no/any/neither, advmod for not/n't/never and for "no" under "longer"."""
    found = {(w.lower(), rel) for param in TREES for w, rel, _ in param.values[1]}
    for pair in [("no", "det"), ("any", "det"), ("neither", "det"), ("not", "advmod"), ("n't", "advmod"),
                 ("never", "advmod"), ("no", "advmod")]:
        assert pair in found, pair


def test_no_longer_attaches_no_to_longer_however_it_is_bracketed():
    flat = graph_of("(ROOT (S (NP (NN Effusion)) (VP (VBZ is) (RB no) (RBR longer) (VP (VBN seen))) (. .)))")
    assert ("no", "advmod", "longer") in edges(flat) and ("longer", "advmod", "seen") in edges(flat)


# --- reading trees -------------------------------------------------------------------------------------

def test_reads_several_trees_with_any_wrapper_and_layout():
    text = ("( (S (NP (NN Effusion)) (VP (VBZ is) (ADJP (JJ small))) (. .)) )\n"
            "(ROOT\n  (NP (NN Cardiomegaly)\n      (. .)))  (S1 (NP (NN Edema))) (TOP (NP (NN Atelectasis)))")
    trees = read_trees(text)
    assert [t.label for t in trees] == ["S", "NP", "NP", "NP"]
    assert trees[0].leaves() == [("Effusion", "NN"), ("is", "VBZ"), ("small", "JJ"), (".", ".")]
    assert read_trees("  \n ") == []


@pytest.mark.parametrize("text, where", [
    ("(ROOT (S (NP (NN effusion)) (. .))", "the '(' at character 0 is never closed"),
    ("(S (NP (NN x)) (VP (VBZ is) (ADJP (JJ y)))", "the '(' at character 0 is never closed"),
    ("(NP (NN x)))", "a ')' at character 11 closes no '('"),
    ("(NP (NN x)) garbage", "unexpected text 'garbage' at character 12"),
    ("(NP (NN two words))", "'(NN' at character 4 holds 2 words"),
    ("(NP (NN x) stray)", "'(NP' at character 0 mixes words and bracketed phrases"),
    ("(NP ())", "empty brackets '()' at character 4"),
])
def test_bracket_errors_say_what_and_where(text, where):
    with pytest.raises(UserError) as err:
        read_trees(text)
    assert where in str(err.value)


def test_function_tags_indices_and_empty_elements_are_removed():
    (tree,) = read_trees("( (S (NP-SBJ-1 (DT The) (NN tube)) (VP (VBD was) (VP (VBN removed) (NP (-NONE- *-1)))) "
                         "(PP-LOC=2 (-NONE- *T*)) (. .)) )")
    assert tree.bracketed() == "(S (NP (DT The) (NN tube)) (VP (VBD was) (VP (VBN removed))) (. .))"
    assert edges(convert(tree)) == [("The", "det", "tube"), ("tube", "nsubj:pass", "removed"),
                                    ("was", "aux:pass", "removed"), ("removed", "root", "ROOT"),
                                    (".", "punct", "removed")]


@pytest.mark.parametrize("label, clean", [("NP-SBJ-1", "NP"), ("NP=2", "NP"), ("S-TPC-3", "S"), ("PRP$", "PRP$"),
                                          ("-NONE-", "-NONE-"), ("-LRB-", "-LRB-"), ("-RRB-", "-RRB-"), (",", ",")])
def test_clean_label(label, clean):
    assert clean_label(label) == clean


def test_escapes_are_undone_in_words_and_redone_for_other_tools():
    bracketed = ("(NP (NP (`` ``) (NN Nodule) ('' '')) (PRN (-LRB- -LRB-) (NN left) (-RRB- -RRB-)) (-LSB- -LSB-) "
                 "(CD 1\\/2) (-RSB- -RSB-) (-LCB- -LCB-) (NN x) (-RCB- -RCB-))")
    (tree,) = read_trees(bracketed)
    assert [w for w, _ in tree.leaves()] == ['"', "Nodule", '"', "(", "left", ")", "[", "1/2", "]", "{", "x", "}"]
    assert tree.leaves()[0] == ('"', "``") and tree.leaves()[3] == ("(", "-LRB-")
    assert read_trees(tree.bracketed())[0] == tree
    assert "(`` ``)" in tree.bracketed() and "('' '')" in tree.bracketed() and "(-LRB- -LRB-)" in tree.bracketed()


def test_a_tree_built_in_code_converts():
    tree = Tree("NP", [Tree("DT", word="No"), Tree("NN", word="effusion")])
    assert edges(convert(tree)) == [("No", "det", "effusion"), ("effusion", "root", "ROOT")]


# --- text and offsets ----------------------------------------------------------------------------------

def test_detokenize_joins_punctuation_clitics_brackets_and_quotes():
    words = ["The", "patient", "'s", "heart", "is", "n't", "enlarged", "(", "see", '"', "prior", '"', ")", ",",
             "about", "50", "%", ";", "stable", "."]
    text, offsets = detokenize(words)
    assert text == 'The patient\'s heart isn\'t enlarged (see "prior"), about 50%; stable.'
    assert [text[s:e] for s, e in offsets] == words


def test_graph_text_and_offsets_from_the_leaves():
    graph = graph_of("(ROOT (S (NP (PRP It)) (VP (VBZ is) (RB n't) (VP (VBN seen))) (. .)))")
    assert graph.text == "It isn't seen."
    assert all(graph.text[t.start:t.end] == t.text for t in graph.tokens)


def test_offsets_index_the_original_sentence_when_given():
    sentence = "Cannot  exclude a small (left) effusion."
    graph = graph_of("(ROOT (S (VP (MD Can) (RB not) (VP (VB exclude) (NP (DT a) (JJ small) "
                     "(PRN (-LRB- -LRB-) (NN left) (-RRB- -RRB-)) (NN effusion)))) (. .)))", text=sentence)
    assert graph.text == sentence
    assert [t.text for t in graph.tokens] == ["Can", "not", "exclude", "a", "small", "(", "left", ")", "effusion", "."]
    assert all(sentence[t.start:t.end] == t.text for t in graph.tokens)


def test_align_matches_escaped_forms_typographic_quotes_and_case():
    text = "\u201cNo\u201d EFFUSION (left) \u2014 stable"
    spans = align(["``", "No", "''", "effusion", "-LRB-", "left", "-RRB-", "--", "stable"], text)
    assert [text[s:e] for s, e in spans] == ["\u201c", "No", "\u201d", "EFFUSION", "(", "left", ")", "\u2014", "stable"]


def test_align_gives_a_missing_token_an_empty_span_and_fails_only_when_nothing_matches():
    spans = align(["No", "acute", "findings", "."], "No findings.")
    assert spans[1] == (3, 3) and spans[2] == (3, 11) and spans[3] == (11, 12)
    with pytest.raises(UserError, match="cannot be found in the sentence"):
        align(["Cardiomegaly", "."], "Pneumothorax")


# --- parts of speech and lemmas ------------------------------------------------------------------------

def test_universal_parts_of_speech():
    graph = graph_of("(ROOT (S (SBAR (IN If) (S (VP (ADVP (RB clinically)) (VBN indicated)))) (, ,) "
                     "(NP (DT a) (NNP CT)) (VP (MD could) (RB not) (VP (VB be) (VP (VBN performed) "
                     "(PP (IN due) (PP (TO to) (NP (NP (PRP$ its) (CD 2) (NNS views)) (CC and) (NP (DT the) "
                     "(NN patient) (POS 's)) (NN motion))))))) (. .)))")
    pos = {t.text: t.pos for t in graph.tokens}
    assert pos == {"If": "SCONJ", "clinically": "ADV", "indicated": "VERB", ",": "PUNCT", "a": "DET",
                   "CT": "PROPN", "could": "AUX", "not": "PART", "be": "AUX", "performed": "VERB", "due": "ADP",
                   "to": "ADP", "its": "PRON", "2": "NUM", "views": "NOUN", "and": "CCONJ", "the": "DET",
                   "patient": "NOUN", "'s": "PART", "motion": "NOUN", ".": "PUNCT"}
    assert {t.text: t.tag for t in graph.tokens}["indicated"] == "VBN"


@pytest.mark.parametrize("bracketed, word, expected", [
    ("(ROOT (S (NP (EX There)) (VP (VBZ is) (NP (NN effusion)))))", "is", "VERB"),  # existential be
    ("(ROOT (S (NP (EX There)) (VP (VBZ is) (NP (NN effusion)))))", "There", "PRON"),
    ("(ROOT (S (NP (NNS Lungs)) (VP (VBP are) (ADJP (JJ clear)))))", "are", "AUX"),  # copula
    ("(ROOT (S (NP (NN Tube)) (VP (VBZ has) (NP (DT a) (NN kink)))))", "has", "VERB"),  # main verb have
    ("(ROOT (NP (NP (NN Correlation)) (S (VP (TO to) (VP (VB exclude) (NP (NN pneumonia)))))))", "to", "PART"),
])
def test_auxiliaries_and_main_verbs(bracketed, word, expected):
    assert {t.text: t.pos for t in graph_of(bracketed).tokens}[word] == expected


def test_upos_of_single_tags():
    assert upos("effusion", "NN", "nsubj") == "NOUN" and upos("is", "VBZ", "cop") == "AUX"
    assert upos("that", "IN", "mark") == "SCONJ" and upos("of", "IN", "case") == "ADP"
    assert upos("n't", "RB", "advmod") == "PART" and upos("never", "RB", "advmod") == "ADV"
    assert upos("x", "UNKNOWN", "dep") == "X"


def test_without_a_lemmatizer_lemmas_are_lower_cased_words():
    graph = graph_of("(ROOT (S (NP (NNS Lungs)) (VP (VBP are) (ADJP (JJ clear)))))")
    assert [t.lemma for t in graph.tokens] == ["lungs", "are", "clear"]


def test_a_lemmatizer_callback_gets_words_and_ptb_tags():
    calls = []

    def lemmatize(words, tags):
        calls.append((list(words), list(tags)))
        return [w.upper() for w in words]

    graph = graph_of("(ROOT (S (NP (NNS Lungs)) (VP (VBP are) (ADJP (JJ clear)))))", lemmatize=lemmatize)
    assert calls == [(["Lungs", "are", "clear"], ["NNS", "VBP", "JJ"])]
    assert [t.lemma for t in graph.tokens] == ["lungs", "are", "clear"]  # lower-cased as in the spaCy backend


@pytest.fixture(scope="module")
def spacy_lemmas():
    spacy_required()
    from cxrlabel.en.parsers.lemmas import spacy_lemmatizer

    return spacy_lemmatizer()


def test_spacy_lemmatizer(spacy_lemmas):
    words = ["Atelectasis", "is", "n't", "excluded", ";", "lungs", "were", "seen", "within", "normal", "limits",
             "Ca", "opacities", "No"]
    tags = ["NN", "VBZ", "RB", "VBN", ":", "NNS", "VBD", "VBN", "IN", "JJ", "NNS", "MD", "NNS", "DT"]
    assert spacy_lemmas(words, tags) == ["atelectasis", "be", "not", "exclude", ";", "lung", "be", "see", "within",
                                         "normal", "limit", "can", "opacity", "no"]
    assert spacy_lemmas([], []) == []


def test_converted_graph_uses_the_spacy_lemmas(spacy_lemmas):
    graph = graph_of("(ROOT (S (NP (NN Pneumonia)) (VP (VBZ is) (RB not) (VP (VBN excluded))) (. .)))",
                     lemmatize=spacy_lemmas)
    assert [t.lemma for t in graph.tokens] == ["pneumonia", "be", "not", "exclude", "."]


# --- the head table ------------------------------------------------------------------------------------

def test_the_shipped_head_table_covers_the_phrase_labels():
    rules = load_head_rules()
    for label in ["ADJP", "ADVP", "NP", "PP", "S", "SBAR", "VP", "WHNP", "QP", "PRN", "UCP", "FRAG", "X"]:
        assert label in rules
    assert rules["PP"][0][0] == "right" and "NP" in rules["PP"][0][1]


def test_a_malformed_head_table_names_file_and_line(tmp_path):
    table = tmp_path / "rules.tsv"
    table.write_text("# comment\nX\tleft: *\nNP\tupward: NN\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"rules.tsv:3: 'upward: NN' is not 'left: LABELS'"):
        load_head_rules(str(table))


def test_an_unknown_phrase_label_uses_the_default_line():
    graph = graph_of("(ROOT (ZZZ (NN Effusion) (JJ small)))")
    assert edges(graph) == [("Effusion", "root", "ROOT"), ("small", "dep", "Effusion")]


# --- the rules on converted graphs ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def rules():
    from cxrlabel.en import ruleset
    from cxrlabel.resources import rules_dir

    return ruleset.load(rules_dir() / "en")


def label_of(bracketed: str, mention: str, observation: str, rules, lemmatize=None) -> float:
    from cxrlabel.en.classify import classify

    graph = graph_of(bracketed, lemmatize=lemmatize)
    words = mention.split()
    first = next(t.i for t in graph.tokens if t.text == words[0])
    value, _ = classify(graph, list(range(first, first + len(words))), rules, observation)
    return value


@pytest.mark.parametrize("bracketed, mention, observation, value", [
    ("(ROOT (NP (DT No) (NN pneumothorax) (. .)))", "pneumothorax", "Pneumothorax", 0.0),
    ("(ROOT (NP (JJ Possible) (NN pneumonia) (. .)))", "pneumonia", "Pneumonia", -1.0),
    ("(ROOT (NP (NN Pneumothorax) (. .)))", "Pneumothorax", "Pneumothorax", 1.0),
    ("(ROOT (NP (DT No) (JJ pleural) (NN effusion) (CC or) (NN pneumothorax) (. .)))", "pneumothorax",
     "Pneumothorax", 0.0),
    ("(ROOT (NP (CC Neither) (NN pneumothorax) (CC nor) (NN effusion) (. .)))", "effusion", "Pleural Effusion", 0.0),
    ("(ROOT (S (NP (EX There)) (VP (VBZ is) (NP (NP (DT no) (NN evidence)) (PP (IN of) (NP (NN pneumonia))))) (. .)))",
     "pneumonia", "Pneumonia", 0.0),
    ("(ROOT (S (NP (NNS Findings)) (VP (MD may) (VP (VB represent) (NP (NN atelectasis)))) (. .)))", "atelectasis",
     "Atelectasis", -1.0),
    ("(ROOT (S (VP (MD Can) (RB not) (VP (VB exclude) (NP (NN pneumonia)))) (. .)))", "pneumonia", "Pneumonia", -1.0),
    ("(ROOT (NP (NP (NN Opacity)) (SBAR (WHNP (WDT which)) (S (VP (MD may) (VP (VB be) (ADJP (JJ due) (PP (TO to) "
     "(NP (NN atelectasis)))))))) (. .)))", "atelectasis", "Atelectasis", -1.0),
])
def test_rules_label_converted_graphs(bracketed, mention, observation, value, rules):
    assert label_of(bracketed, mention, observation, rules) == value


@pytest.mark.parametrize("bracketed, mention, observation, value", [
    ("(ROOT (S (NP (NN Pneumonia)) (VP (VBZ is) (RB not) (VP (VBN excluded))) (. .)))", "Pneumonia", "Pneumonia", -1.0),
    ("(ROOT (S (NP (NN Effusion)) (VP (VBZ is) (RB not) (VP (VBN seen))) (. .)))", "Effusion", "Pleural Effusion", 0.0),
    ("(ROOT (S (NP (NN Heart) (NN size)) (VP (VBZ is) (PP (IN within) (NP (JJ normal) (NNS limits)))) (. .)))",
     "Heart size", "Cardiomegaly", 0.0),
    ("(ROOT (S (NP (NN Pneumothorax)) (VP (VBZ has) (VP (VBN resolved))) (. .)))", "Pneumothorax", "Pneumothorax",
     0.0),
])
def test_rules_that_name_lemmas_work_with_the_spacy_lemmatizer(bracketed, mention, observation, value, rules,
                                                               spacy_lemmas):
    assert label_of(bracketed, mention, observation, rules, spacy_lemmas) == value
